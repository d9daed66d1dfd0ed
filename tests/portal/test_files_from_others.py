"""A file or a line someone else wrote never makes a portal page a 500 (review s27 L-3, s28 L-5).

A citizen's signed consent uploaded at the desk, a co-signer's file in the shared signatures
folder, a line of a node's access log: each is read with :mod:`govchain.files`. One nested past
the parser's recursion limit (a real portal process has Python's default, 1000), or holding a
number JSON allows but no integer field can hold (``1e400`` is a float infinity: ``int()`` of it
was an OverflowError, a 500), is a form message, or is skipped and named (or counted) on a page
that still renders the rest.
"""

from __future__ import annotations

import json
import re
import secrets
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from govchain.approval import CaseTerms, Step
from govchain.approval.cases import Cases
from govchain.portal import PortalConfig
from govchain.reference import City
from govchain.sharing.catalog import category_code
from govchain.tx import Sender
from tests.cli.conftest import city, devnet  # noqa: F401 (fixtures)
from tests.cli.datanode import World, world  # noqa: F401 (fixture)
from tests.portal.conftest import csrf_of, logged_in_client, running_portal

DAY = 86_400
NESTED = ("[" * 4_000 + "]" * 4_000).encode()  # 8 KB, far under the 64 KB upload limit
DEAD = "0x000000000000000000000000000000000000dEaD"
H32 = "0x" + "11" * 32
INFINITE_CONSENT = (
    '{"format": "govchain.GrantConsent/1", "terms": {"subject": "' + DEAD + '", '
    '"grantee": "CIVIL", "owner": "HRSS", "categories": ["HRSS.PENSION"], '
    '"purpose_hash": "' + H32 + '", "basis": "CONSENT", "valid_from": 1e400, "valid_until": 2}, '
    '"deadline": 1, "signer": "' + DEAD + '", "signature": "0x' + "11" * 65 + '", '
    '"chain_id": 31337, "verifying_contract": "' + DEAD + '"}'
).encode()


@pytest.fixture
def production_recursion_limit() -> Iterator[None]:
    """Python's default (1000), which ``govchain portal`` has; the test process has 100,000
    (py_ecc raises it on import)."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def test_a_nested_or_infinite_consent_upload_is_a_form_message(
    world: World,  # noqa: F811
    tmp_path: Path,
    production_recursion_limit: None,
) -> None:
    config = PortalConfig(
        key="civil-staff",
        rpc=world.city.connection.url,
        home=world.home,
        index=str(tmp_path / "civil-staff.db"),
    )
    with running_portal(config) as url:
        client = logged_in_client(url)
        token = csrf_of(client.get("/dept/consents").text)
        for body, said in (
            (NESTED, "nested too deeply"),
            (b"[1]", "expected a JSON object"),
            (INFINITE_CONSENT, "number 1e400 is out of range"),  # was a 500 (s28 L-5)
        ):
            answer = client.post(
                "/dept/consents/review",
                data={"csrf": token},
                files={"consent": ("x.json", body, "application/json")},
            )
            assert answer.status_code == 400
            line = re.search(r'id="consent-error"[^>]*>([^<]*)<', answer.text)
            assert line is not None, answer.text
            assert said in line.group(1)
        assert client.get("/dept/consents").status_code == 200  # the desk still works


def test_a_nested_or_infinite_file_in_the_shared_signatures_folder_is_named_not_fatal(
    city: tuple[City, Path],  # noqa: F811
    tmp_path: Path,
    production_recursion_limit: None,
) -> None:
    """A co-signer drops a nested "signature" into the shared folder: every member's case page
    still renders (200), the file named as skipped beside the garbage one."""
    built, home = city
    deadline = int(time.time()) + 7 * DAY
    terms = CaseTerms(
        documents_hash=secrets.token_bytes(32),
        accepting_department=category_code("CIVIL"),
        route=(Step(category_code("CIVIL"), 2, deadline),),
        applicant_citizen=built.departments["FINANCE"].staff.address,
    )
    connection = built.connection
    staff = built.departments["CIVIL"].staff
    Cases(connection, Sender(connection.w3, staff, connection.decoder())).open(terms)
    case = f"0x{terms.case_id().hex()}"
    shared = tmp_path / "signatures"
    shared.mkdir()
    (shared / f"{case}-0-garbage.json").write_text("{not json")
    (shared / f"{case}-0-nested.json").write_bytes(NESTED)
    infinite = {
        "format": "govchain.approval.decision/3", "step": "__INF__", "chain_id": 31337,
        "deadline": 1, "approve": True, "contract": DEAD, "case_id": case,
        "comment_hash": H32, "signer": DEAD, "signature": "0x" + "11" * 65,
    }  # fmt: skip
    (shared / f"{case}-0-inf.json").write_text(json.dumps(infinite).replace('"__INF__"', "1e400"))
    config = PortalConfig(
        key="civil-approver1",
        rpc=connection.url,
        home=home,
        index=str(tmp_path / "index.db"),
        signatures=shared,
    )
    with running_portal(config) as url:
        client = logged_in_client(url)
        page = client.get(f"/dept/cases/{case}")
        assert page.status_code == 200
        named = re.search(r'id="unreadable-signatures"[^>]*>(.*?)</p>', page.text)
        assert named is not None, page.text
        assert f"{case}-0-nested.json" in named.group(1)
        assert f"{case}-0-garbage.json" in named.group(1)
        assert f"{case}-0-inf.json" in named.group(1)  # was a 500 for every member (s28 L-5)
        assert 'id="none-collected"' in page.text  # the rest of the collection still shows


def test_a_nested_or_infinite_line_in_a_nodes_access_log_is_counted_not_fatal(
    world: World,  # noqa: F811
    tmp_path: Path,
    production_recursion_limit: None,
) -> None:
    """The department's sysadmin appends a nested line to its node's access log: the auditor's
    anomalies and statistics pages still render every log and count the unreadable lines."""
    log = tmp_path / "hrss-access.jsonl"
    refused = (
        '{"event": "request", "time": "2026-11-30T09:00:00Z", "path": "/v1/records", '
        '"status": 403, "outcome": "refused", "reason": "grant_revoked", "signer": null}\n'
    )
    infinite = refused.replace('"status": 403', '"status": 1e400')  # was a 500 (s28 L-5)
    log.write_text("not json\n" + refused + NESTED.decode() + "\n" + infinite + refused)
    config = PortalConfig(
        key="hrss-auditor",
        rpc=world.city.connection.url,
        home=world.home,
        index=str(tmp_path / "auditor.db"),
        access_logs=(("HRSS", str(log)),),
    )
    with running_portal(config) as url:
        client = logged_in_client(url)
        anomalies = client.get("/audit/anomalies")
        assert anomalies.status_code == 200
        counts = re.search(r'class="log-counts">(.*?)</p>', anomalies.text)
        assert counts is not None, anomalies.text
        assert counts.group(1).rstrip().endswith(" 3"), counts.group(1)  # 3 unreadable lines
        assert "grant_revoked" in anomalies.text
        stats = client.get("/audit/stats")
        assert stats.status_code == 200
        unreadable = re.search(r'id="unreadable-lines"[^>]*>(.*?)</p>', stats.text)
        assert unreadable is not None, stats.text
        assert "HRSS 3" in unreadable.group(1)
        assert re.search(r'data-department="HRSS">.*?class="refused">2<', stats.text)
