"""Audits: what the chain reveals (privacy), tamper reports, access trails, misuse reports."""
