"""Department approver pages in a real browser: the inbox, the case page, the e-signature.

Civil Affairs' staff opens a two-step case (CIVIL then HRSS, one approver each); CIVIL's
approver sees it in the inbox, reads the exact typed data, signs, and the case advances to
HRSS's step. A STAFF key (not an approver) gets no inbox.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from eth_utils.crypto import keccak
from playwright.sync_api import Browser, Page, expect

from govchain.approval import CaseStatus, CaseTerms, Step
from govchain.approval.cases import Cases
from govchain.portal import PortalConfig
from govchain.reference import City
from govchain.sharing.catalog import category_code
from govchain.sharing.grants import AccessGrants, ShareRequests, ShareRequestTerms
from govchain.tx import Sender
from tests.cli.datanode import World
from tests.portal.conftest import logged_in_client, login, new_page, running_portal

DAY = 86_400


def code(name: str) -> bytes:
    return category_code(name)


@pytest.fixture(scope="module")
def case_id(city: tuple[City, Path]) -> bytes:
    built, _home = city
    connection = built.connection
    staff = built.departments["CIVIL"].staff
    deadline = int(time.time()) + 7 * DAY
    terms = CaseTerms(
        documents_hash=secrets.token_bytes(32),
        accepting_department=code("CIVIL"),
        route=(Step(code("CIVIL"), 1, deadline), Step(code("HRSS"), 1, deadline + DAY)),
        applicant_citizen=built.departments["FINANCE"].staff.address,
    )
    Cases(connection, Sender(connection.w3, staff, connection.decoder())).open(terms)
    return terms.case_id()


def portal_for(city: tuple[City, Path], key: str, folder: Path) -> PortalConfig:
    built, home = city
    return PortalConfig(
        key=key, rpc=built.connection.url, home=home, index=str(folder / "index.db")
    )


@pytest.fixture(scope="module")
def approver_portal(
    city: tuple[City, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    config = portal_for(city, "civil-approver1", tmp_path_factory.mktemp("approver"))
    with running_portal(config) as url:
        yield url


def test_an_approver_approves_a_step_and_the_case_advances(
    browser: Browser, approver_portal: str, case_id: bytes, city: tuple[City, Path]
) -> None:
    page: Page = new_page(browser)
    login(page, approver_portal)
    page.click("text=Case inbox")
    row = page.locator(f"#inbox tr[data-case='0x{case_id.hex()}']")
    expect(row).to_contain_text("CIVIL → HRSS")
    row.locator("a").click()
    expect(page.locator("#route tr").nth(1)).to_contain_text("awaiting decision")
    page.fill("#comment", "documents complete 材料齐全")
    page.click("#approve")
    typed = page.locator("#typed-data")
    expect(typed).to_contain_text('"primaryType": "Decision"')
    expect(typed).to_contain_text(f'"caseId": "0x{case_id.hex()}"')
    expect(typed).to_contain_text('"approve": true')
    expect(typed).to_contain_text('"name": "CaseApprovals"')
    page.click("#sign")
    expect(page.locator("#notice")).to_contain_text("Decision sent")
    expect(page.locator("#route tr").nth(1)).to_contain_text("done")
    expect(page.locator("#route tr").nth(2)).to_contain_text("waiting")
    expect(page.locator("#decisions")).to_contain_text("civil-approver1")
    state = Cases(city[0].connection).state(case_id, history=False)
    assert state.status == CaseStatus.OPEN and state.current_step == 1
    page.goto(approver_portal + "/dept/inbox")
    expect(page.locator(f"#inbox tr[data-case='0x{case_id.hex()}']")).to_have_count(0)
    page.context.close()


def test_staff_key_has_no_inbox_and_bad_case_ids_are_not_found(
    city: tuple[City, Path], tmp_path: Path, approver_portal: str
) -> None:
    with running_portal(portal_for(city, "civil-staff", tmp_path)) as url:
        client = logged_in_client(url)
        answer = client.get("/dept/inbox")
        assert answer.status_code == 403 and "not entitled" in answer.text
        assert "Case inbox" not in client.get("/").text
    approver = logged_in_client(approver_portal)
    assert approver.get("/dept/cases/0x1234").status_code == 404
    assert approver.get("/dept/cases/" + "0x" + "ab" * 32).status_code == 404
    refused = approver.post("/dept/cases/" + "0x" + "ab" * 32 + "/review", data={"csrf": "x"})
    assert refused.status_code == 400


def file_request(world: World, nonce: int) -> bytes:
    connection = world.city.connection
    staff = world.city.departments["CIVIL"].staff
    now = AccessGrants(connection).now()
    terms = ShareRequestTerms(
        grantee="CIVIL",
        owner="HRSS",
        categories=("HRSS.PENSION",),
        purpose_hash=keccak(text="pension statistics for the district plan"),
        valid_from=now,
        valid_until=now + 30 * DAY,
        decision_deadline=now + 7 * DAY,
        nonce=nonce,
    )
    ShareRequests(connection, Sender(connection.w3, staff, connection.decoder())).file(terms)
    return terms.request_id


def test_an_owner_approver_decides_sharing_requests(
    browser: Browser, world: World, tmp_path: Path
) -> None:
    approve_id, reject_id = file_request(world, 1), file_request(world, 2)
    config = PortalConfig(
        key="hrss-approver1",
        rpc=world.city.connection.url,
        home=world.home,
        index=str(tmp_path / "index.db"),
    )
    with running_portal(config) as url:
        page = new_page(browser)
        login(page, url)
        page.click("text=Sharing requests")
        first = page.locator(f"#pending tr[data-request='0x{approve_id.hex()}']")
        expect(first).to_contain_text("CIVIL")
        first.locator("button.approve").click()
        expect(page.locator(f"#decided tr[data-request='0x{approve_id.hex()}']")).to_contain_text(
            "APPROVED"
        )
        second = page.locator(f"#pending tr[data-request='0x{reject_id.hex()}']")
        second.locator("input[name=reason]").fill("not needed for the plan")
        second.locator("button.reject").click()
        expect(page.locator(f"#decided tr[data-request='0x{reject_id.hex()}']")).to_contain_text(
            "REJECTED"
        )
        page.context.close()
    requests = ShareRequests(world.city.connection)
    assert requests.status(approve_id) == "APPROVED"
    assert requests.status(reject_id) == "REJECTED"


@pytest.fixture(scope="module")
def two_approver_case(city: tuple[City, Path]) -> bytes:
    """A case whose first step needs two of CIVIL's approvers."""
    built, _home = city
    connection = built.connection
    deadline = int(time.time()) + 7 * DAY
    terms = CaseTerms(
        documents_hash=secrets.token_bytes(32),
        accepting_department=code("CIVIL"),
        route=(Step(code("CIVIL"), 2, deadline), Step(code("HRSS"), 1, deadline + DAY)),
        applicant_citizen=built.departments["FINANCE"].staff.address,
    )
    staff = built.departments["CIVIL"].staff
    Cases(connection, Sender(connection.w3, staff, connection.decoder())).open(terms)
    return terms.case_id()


def test_two_approvers_sign_in_their_portals_and_one_submits_both(
    browser: Browser, city: tuple[City, Path], two_approver_case: bytes, tmp_path: Path
) -> None:
    shared = tmp_path / "civil-signatures"  # the department's shared folder
    case = f"0x{two_approver_case.hex()}"
    (tmp_path / "second").mkdir()
    first = replace(portal_for(city, "civil-approver1", tmp_path), signatures=shared)
    second = replace(portal_for(city, "civil-approver2", tmp_path / "second"), signatures=shared)
    connection = city[0].connection
    with running_portal(first) as one, running_portal(second) as two:
        page = new_page(browser)
        login(page, one)
        page.goto(one + f"/dept/cases/{case}")
        expect(page.locator("#none-collected")).to_be_visible()
        page.click("#approve")
        expect(page.locator("#typed-data")).to_contain_text('"approve": true')
        page.click("#sign")
        expect(page.locator("#signed-notice")).to_be_visible()
        expect(page.locator("#collected .count")).to_have_text("1 / 2")
        expect(page.locator("#collected")).to_contain_text("civil-approver1")
        expect(page.locator(".submit-collected")).to_have_count(0)
        expect(page.locator("#approve")).to_have_count(0)  # she signed; no second signature
        assert len(list(shared.glob("*.json"))) == 1
        state = Cases(connection).state(two_approver_case, history=False)
        assert state.current_step == 0  # nothing on chain yet

        other = new_page(browser)
        login(other, two)
        other.goto(two + f"/dept/cases/{case}")
        expect(other.locator("#collected .count")).to_have_text("1 / 2")
        other.click("#approve")
        other.click("#sign")
        expect(other.locator("#collected .count")).to_have_text("2 / 2")
        other.click(".submit-collected")
        expect(other.locator("#notice")).to_contain_text("Decision sent")
        expect(other.locator("#route tr").nth(1)).to_contain_text("done")
        decided = other.locator("#decisions tr", has_text="StepDecided")
        expect(decided).to_contain_text("civil-approver1")
        expect(decided).to_contain_text("civil-approver2")
        page.context.close()
        other.context.close()
    state = Cases(connection).state(two_approver_case, history=False)
    assert state.status == CaseStatus.OPEN and state.current_step == 1


def test_a_forged_signature_in_the_shared_folder_is_ignored(
    city: tuple[City, Path], tmp_path: Path
) -> None:
    from eth_account import Account

    from govchain.approval.decisions import sign_decision
    from govchain.portal.cosign import keep

    built, _home = city
    deadline = int(time.time()) + 7 * DAY
    terms = CaseTerms(
        documents_hash=secrets.token_bytes(32),
        accepting_department=code("CIVIL"),
        route=(Step(code("CIVIL"), 2, deadline),),
        applicant_citizen=built.departments["FINANCE"].staff.address,
    )
    staff = built.departments["CIVIL"].staff
    connection = built.connection
    cases = Cases(connection, Sender(connection.w3, staff, connection.decoder()))
    cases.open(terms)
    outsider = Account.create()  # not an approver: its signature must not count
    for _ in range(2):
        keep(
            tmp_path,
            sign_decision(
                Account.create(), cases.domain, terms.case_id(), 0, True, b"\0" * 32, deadline
            ),
        )
    keep(
        tmp_path,
        sign_decision(outsider, cases.domain, terms.case_id(), 0, True, b"\0" * 32, deadline),
    )
    (tmp_path / f"0x{terms.case_id().hex()}-0-garbage.json").write_text("{not json")
    config = replace(portal_for(city, "civil-approver1", tmp_path), signatures=tmp_path)
    with running_portal(config) as url:
        html = logged_in_client(url).get(f"/dept/cases/0x{terms.case_id().hex()}").text
    assert 'id="none-collected"' in html and "Submit these signatures" not in html
