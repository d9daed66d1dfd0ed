"""Auditor pages in a real browser: a planted misuse and a tampered record appear; statistics.

Civil Affairs fetches Alice's pension from the HRSS node under her grant (a clean release);
then a release with no on-chain access record is planted in the node's serve log. HRSS's
auditor sees exactly that one as "served but not recorded", with its requester.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import update

from govchain.node.store import Record, ServeLogEntry, Store, sqlite_url
from govchain.portal import PortalConfig
from tests.cli.datanode import PENSION, World, serving
from tests.portal.conftest import (
    civil_fetch,
    logged_in_client,
    login,
    new_page,
    running_portal,
    wait_drawn,
)


@pytest.fixture(scope="module")
def store_path(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    with serving(world, tmp_path_factory.mktemp("hrss-audited")) as (url, path):
        civil_fetch(world, url, world.grant)
    store = Store(sqlite_url(path))
    with store.session() as s:  # the node released a record to a member with no access record
        s.add(
            ServeLogEntry(
                kind="grant",
                requester=world.city.departments["HOUSING"].staff.address,
                department=b"HOUSING".ljust(32, b"\0"),
                grant_id=world.grant,
                access_tx="0x" + "00" * 32,
                request_hash=b"\x42" * 32,
                category=PENSION,
                record_id=world.ids["pension"],
                version=2,
                subject=world.alice.address,
                content_hash=b"\x01" * 32,
            )
        )
        # and an insider edited the published policy text after it was anchored
        s.execute(
            update(Record)
            .where(Record.record_id == world.ids["policy"])
            .values(content=b"amended policy text")
        )
    store.dispose()
    return path


def log_line(world: World, outcome: str, reason: str | None, signer: str, when: str) -> str:
    """One request line of a data node's access log, in the agreed format
    (briefs/shared-contracts.md): what the node's middleware writes."""
    status = {"served": 200, "refused": 403, "error": 502}[outcome]
    return json.dumps(
        {
            "time": when,
            "event": "request",
            "path": "/v1/fetch",
            "status": status,
            "outcome": outcome,
            "reason": reason,
            "signer": signer,
            "grant": "0x" + world.grant.hex(),
            "category": "0x" + PENSION.hex(),
            "duration_ms": 12.5,
        }
    )


@pytest.fixture(scope="module")
def access_log(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """HRSS's node log: one release, Civil Affairs' staff twice refused under the revoked
    grant and once under an expired one, a Housing key refused as not a grantee member, a
    chain error, and a torn last line."""
    civil = world.city.departments["CIVIL"].staff.address
    housing = world.city.departments["HOUSING"].staff.address
    lines = [
        log_line(world, "served", None, civil, "2026-11-29T08:00:00Z"),
        log_line(world, "refused", "grant_revoked", civil, "2026-11-29T09:00:00Z"),
        log_line(world, "refused", "grant_revoked", civil, "2026-11-29T09:05:00Z"),
        log_line(world, "refused", "grant_expired", civil, "2026-11-29T10:00:00Z"),
        log_line(world, "refused", "not_grantee_member", housing, "2026-11-29T11:00:00Z"),
        log_line(world, "error", "chain_unavailable", civil, "2026-11-29T12:00:00Z"),
        '{"time": "2026-11-29T13:00:00Z", "event": "requ',
    ]
    path = tmp_path_factory.mktemp("hrss-log") / "access.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def auditor_portal(
    world: World, store_path: Path, access_log: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    config = PortalConfig(
        key="hrss-auditor",
        rpc=world.city.connection.url,
        home=world.home,
        index=str(tmp_path_factory.mktemp("auditor") / "index.db"),
        stores=(("HRSS", sqlite_url(store_path)),),
        access_logs=(("HRSS", str(access_log)),),
    )
    with running_portal(config) as url:
        yield url


def test_the_auditor_sees_a_planted_misuse(
    browser: Browser, auditor_portal: str, world: World
) -> None:
    page = new_page(browser)
    login(page, auditor_portal)
    page.click("text=Anomalies")
    card = page.locator(".card[data-store=HRSS]")
    expect(card).to_contain_text("2 releases read")
    expect(card).to_contain_text("1 matched")
    misuse = card.locator(".misuses tr[data-kind=no_record]")
    expect(misuse).to_have_count(1)
    expect(misuse).to_contain_text(world.city.departments["HOUSING"].staff.address)
    expect(misuse).to_contain_text("HRSS.PENSION")
    expect(misuse).to_contain_text("no on-chain access record")
    expect(card.locator(".tamper-counts")).to_contain_text("ok 7; altered 1")
    expect(card.locator(".tamper tr[data-status=altered]")).to_contain_text("HRSS.POLICY")

    page.fill("#threshold", "0")
    page.click("text=Filter")
    expect(page.locator("#bulk")).to_contain_text(world.city.departments["CIVIL"].staff.address)
    page.fill("#threshold", "many")
    page.click("text=Filter")
    expect(page.locator("#threshold-error")).to_have_text("A whole number from 0.")

    page.click("text=Statistics")
    expect(page.locator("#per-department tr[data-department=CIVIL] .made")).not_to_have_text("0")
    expect(page.locator("#reads")).to_contain_text("CIVIL → HRSS")
    wait_drawn(page, "chart")  # SVG drawn
    wait_drawn(page, "graph")
    page.context.close()


def test_refused_accesses_from_the_node_access_log(
    browser: Browser, auditor_portal: str, world: World
) -> None:
    civil = world.city.departments["CIVIL"].staff.address
    housing = world.city.departments["HOUSING"].staff.address
    page = new_page(browser)
    login(page, auditor_portal)
    page.goto(auditor_portal + "/audit/anomalies")
    card = page.locator(".card[data-log=HRSS]")
    expect(card.locator(".log-counts")).to_have_text(
        "served 1 · refused 4 · errors 1 · unreadable lines 1"
    )
    rows = card.locator(".refusals tbody tr")
    expect(rows).to_have_count(3)
    # attempts under ended grants first, each with its signer and the signer's department
    expect(rows.nth(0)).to_have_attribute("data-reason", "grant_revoked")
    revoked = card.locator(f".refusals tr[data-reason=grant_revoked][data-signer='{civil}']")
    expect(revoked.locator(".count")).to_have_text("2")
    expect(revoked.locator(".signer-dept")).to_have_text("CIVIL")
    expect(revoked).to_contain_text("the grant was revoked")
    expect(revoked).to_have_class("ended-grant")
    expect(card.locator("tr[data-reason=grant_expired] .count")).to_have_text("1")
    member = card.locator(f"tr[data-reason=not_grantee_member][data-signer='{housing}']")
    expect(member.locator(".signer-dept")).to_have_text("HOUSING")

    page.goto(auditor_portal + "/audit/stats")
    hrss = page.locator("#failures tr[data-department=HRSS]")
    expect(hrss.locator(".served")).to_have_text("1")
    expect(hrss.locator(".refused")).to_have_text("4")
    expect(hrss.locator(".errors")).to_have_text("1")
    expect(page.locator("#failures tr[data-department=CIVIL] .attempts")).to_have_text("3")
    expect(page.locator("#failures tr[data-department=HOUSING] .attempts")).to_have_text("1")
    page.context.close()


def test_the_reads_graph_is_a_drawn_svg(auditor_portal: str) -> None:
    client = logged_in_client(auditor_portal)
    answer = client.get("/audit/graph.svg")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("image/svg")
    assert (
        "script" not in answer.text
        and "script-src" not in answer.headers["content-security-policy"]
    )
    svg = ElementTree.fromstring(answer.text.split("?>", 1)[1])  # noqa: S314 (our own SVG)
    ns = {"s": "http://www.w3.org/2000/svg"}
    nodes = {g.get("data-department") for g in svg.iterfind(".//s:g[@class='node']", ns)}
    assert {"CIVIL", "HRSS"} <= nodes
    edge = svg.find(".//s:g[@class='edge'][@data-from='CIVIL'][@data-to='HRSS']", ns)
    assert edge is not None and edge.find("s:path", ns) is not None
    assert int(edge.findtext("s:text", "0", ns)) >= 1  # weighted by the reads recorded


def test_a_missing_access_log_is_named_in_a_banner(world: World, tmp_path: Path) -> None:
    config = PortalConfig(
        key="hrss-auditor",
        rpc=world.city.connection.url,
        home=world.home,
        index=str(tmp_path / "i.db"),
        access_logs=(("HRSS", str(tmp_path / "absent.jsonl")),),
    )
    with running_portal(config) as url:
        client = logged_in_client(url)
        for path in ("/audit/anomalies", "/audit/stats"):
            answer = client.get(path)
            assert answer.status_code == 200, path
            assert "access log HRSS" in answer.text and "absent.jsonl" in answer.text


def test_the_chart_is_an_svg_without_script_rights(auditor_portal: str) -> None:
    client = logged_in_client(auditor_portal)
    answer = client.get("/audit/stats.svg")
    assert answer.status_code == 200 and answer.text.lstrip().startswith("<?xml")
    assert answer.headers["content-type"].startswith("image/svg+xml")
    assert "script-src" not in answer.headers["content-security-policy"]
    assert answer.headers["content-security-policy"].startswith("default-src 'none'")


def test_a_citizen_key_gets_no_audit_pages(world: World, tmp_path: Path) -> None:
    config = PortalConfig(
        key="alice", rpc=world.city.connection.url, home=world.home, index=str(tmp_path / "i.db")
    )
    with running_portal(config) as url:
        client = logged_in_client(url)
        for path in ("/audit/anomalies", "/audit/stats", "/audit/stats.svg"):
            assert client.get(path).status_code == 403, path
        assert httpx.get(url + "/audit/stats").status_code in (303, 307)


@pytest.fixture(scope="module")
def attestation(world: World) -> str:
    """PSB registers a real-name schema and its staff attests Alice's real name (CLI)."""
    from tests.cli.conftest import CITY_PASSPHRASE, Run

    run = Run(world.city.connection.url)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GOVCHAIN_HOME", str(world.home))
        env.setenv("GOVCHAIN_PASSPHRASE", CITY_PASSPHRASE)
        schema = run.json(
            "--key", "psb-admin", "attest", "schema", "register",
            "--fields", "RealName(bytes32 commitment)", "--roles", "staff", "--dept", "PSB",
        )["uid"]  # fmt: skip
        made = run.json(
            "--key", "psb-staff", "attest", "issue", world.alice.address, "--schema", schema,
            "--data", "330102195203150027", "--expires", "365d",
        )  # fmt: skip
    return str(made["uid"])


def test_attestations_about_me_and_the_explorer(
    browser: Browser, auditor_portal: str, world: World, attestation: str, tmp_path: Path
) -> None:
    page = new_page(browser)
    login(page, auditor_portal)
    page.goto(auditor_portal + "/audit/attestations?issuer=PSB")
    row = page.locator(f"#attestations tr[data-uid='{attestation}']")
    expect(row).to_contain_text(world.alice.address)
    expect(row.locator(".status")).to_have_text("valid")
    page.goto(auditor_portal + "/audit/attestations?issuer=HRSS")
    expect(page.locator(f"#attestations tr[data-uid='{attestation}']")).to_have_count(0)
    page.goto(auditor_portal + "/audit/attestations?subject=0x123")
    expect(page.locator("#subject-error")).to_be_visible()
    page.context.close()
    config = PortalConfig(
        key="alice", rpc=world.city.connection.url, home=world.home, index=str(tmp_path / "a.db")
    )
    with running_portal(config) as url:
        page = new_page(browser)
        login(page, url)
        page.click("text=Attestations")
        expect(page.locator(f"#attestations tr[data-uid='{attestation}']")).to_contain_text("PSB")
        assert logged_in_client(url).get("/audit/attestations").status_code == 403
        page.context.close()


def test_publishing_shows_stored_and_anchored_records(
    browser: Browser, auditor_portal: str
) -> None:
    page = new_page(browser)
    login(page, auditor_portal)
    page.click("text=Publishing")
    expect(page.locator("#totals")).to_contain_text("8 / 8")
    expect(page.locator("#categories tr[data-category='HRSS.PENSION']")).to_contain_text("6")
    expect(page.locator("#batch")).to_contain_text("HRSS.")
    expect(page.locator("#none-waiting")).to_be_visible()
    page.context.close()


def test_the_portal_command_refuses_a_malformed_access_log_flag() -> None:
    from tests.cli.conftest import Run

    result = Run()("--key", "hrss-auditor", "portal", "--access-log", "HRSS")
    assert result.exit_code == 2, result.stderr
    assert "expected DEPT=FILE" in result.stderr and "Traceback" not in result.stderr
