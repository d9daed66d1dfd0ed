"""The demo's closing chapters: a DBA's edit caught, a revoked consent refused, and the scan of
what the chain reveals."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from govchain.audit.privacy import scan_chain
from govchain.demo import persona
from govchain.demo.common import (
    HOLDINGS,
    DemoFailure,
    label,
    short,
)
from govchain.deploy import department_code
from govchain.errors import ChainRefused
from govchain.node.client import RecordTampered
from govchain.node.publisher import canonical_json
from govchain.sharing.merkle import record_hash
from govchain.sharing.messages import grant_id

if TYPE_CHECKING:
    from govchain.demo.scenario import Scenario


def tamper_chapter(s: Scenario) -> None:
    s.say.chapter(
        "A DBA edits HRSS's database",
        "A database administrator at HRSS raises the citizen's pension in the table directly. "
        "The anchor on chain does not change, so the edit is caught: by the next requester, "
        "and by the tamper audit HRSS runs on a schedule.",
    )
    pension = HOLDINGS[0]
    edited = dict(persona.pension_record(), monthly_cny=4860)
    content = canonical_json(edited)
    with sqlite3.connect(s.workdir / "hrss.db") as db:
        version, subject, media_type, salt = db.execute(
            "SELECT version, subject, media_type, salt FROM records "
            "WHERE category = ? AND record_id = ? ORDER BY version DESC LIMIT 1",
            (pension.category, pension.record_id),
        ).fetchone()
        # the DBA even recomputes the stored record hash, so the row looks consistent
        forged = record_hash(
            pension.category,
            pension.record_id,
            version,
            department_code("HRSS"),
            subject,
            media_type,
            content,
            salt,
        )
        db.execute(
            "UPDATE records SET content = ?, content_hash = ? "
            "WHERE category = ? AND record_id = ? AND version = ?",
            (content, forged, pension.category, pension.record_id, version),
        )
    s.say.did(
        "UPDATE records SET content = …, content_hash = … (monthly 2860 → 4860, the stored "
        "hash recomputed) — no transaction, no trace in HRSS's own logs"
    )
    try:
        s.fetch_holding(pension)
    except RecordTampered as exc:
        s.say.refused("Civil Affairs fetched the pension record again", str(exc))
    else:
        raise DemoFailure("the edited pension record was served without being detected")
    code, report = s.cli("audit", "tamper", "--dept", "HRSS", "--db", s.db_url("HRSS"))
    if code != 1 or not isinstance(report, dict):
        raise DemoFailure(f"the tamper audit should have failed on the edit: {report}")
    for finding in report["findings"]:
        s.say.refused(
            f"govchain audit tamper --dept HRSS: {finding['status']} "
            f"{label(bytes.fromhex(finding['category'][2:]))} "
            f"{label(bytes.fromhex(finding['record_id'][2:]))} v{finding['version']}",
            finding["reason"],
        )
    counts = report["counts"]
    s.say.note(
        f"{report['records']} records checked: {counts['ok']} ok, {counts['altered']} altered, "
        f"{counts['missing']} missing, {counts['not_anchored']} not anchored (exit {code})"
    )
    s.summary["tamper_audit"] = {"exit": code, **counts}


def revoke_chapter(s: Scenario) -> None:
    s.say.chapter(
        "The citizen revokes a consent",
        "The citizen withdraws Civil Affairs' access to her housing record. The next access "
        "is refused by the chain itself, before any node is asked.",
    )
    grants = s.contract("AccessGrants")
    terms = s.grants["HOUSING"]
    tx, _ = s.send(s.citizen, grants.functions.revoke(grant_id(terms)))
    s.say.did(f"grant {short(grant_id(terms))} revoked by the citizen", tx)
    try:
        s.fetch_holding(HOLDINGS[1])
    except ChainRefused as exc:
        s.say.refused("Civil Affairs asked for the property record again", str(exc))
        s.summary["revoked_access_refused"] = exc.error_name
    else:
        raise DemoFailure("an access under a revoked grant was allowed")


def privacy_chapter(s: Scenario) -> None:
    s.say.chapter(
        "What the chain reveals",
        "Every transaction's calldata and every log of this run is scanned for the citizen's "
        "name, ID number, birth date, address, phone and certificate number: as UTF-8, hex "
        "text, UTF-16, a number, and their unsalted keccak/sha256 hashes.",
    )
    hits = scan_chain(s.connection.w3, persona.PERSONAL_DATA)
    blocks = int(s.connection.w3.eth.block_number)
    if hits:
        for hit in hits:
            s.say.refused("personal data on chain", str(hit))
        raise DemoFailure(f"{len(hits)} pieces of personal data found on chain")
    s.say.did(f"{blocks} blocks scanned: no personal data on chain")
    s.summary["privacy_hits"] = 0
