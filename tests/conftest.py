"""Shared fixtures: one account per role, deployments per session, isolation per test."""
