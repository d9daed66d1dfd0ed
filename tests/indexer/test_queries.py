"""Queries over the index: access trails by subject, department and grant; grants and
attestations by subject with their revocations; open cases by department; a department's anchors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, select

from govchain.indexer import (
    QUERY_EVENTS,
    Indexer,
    IndexerError,
    access_by_department,
    access_by_grant,
    access_by_subject,
    anchors_by_department,
    attestations_by_subject,
    department_code,
    grants_by_subject,
    open_cases_by_department,
)
from govchain.indexer.schema import event_departments
from tests.helpers import code


def h(name: str) -> str:
    return "0x" + code(name).hex()


GRANT_A, GRANT_B = b"\xaa" * 32, b"\xbb" * 32


@pytest.fixture
def scenario(
    emitter: Any,
    deployer: Any,
    citizens: list[Any],
    new_db: Callable[[], Engine],
    make_indexer: Callable[..., Indexer],
) -> Engine:
    alice, bob = citizens[0], citizens[1]
    e = emitter
    e.createGrant(GRANT_A, alice, code("CIVIL"), code("HRSS"), [code("pension")], sender=deployer)
    e.createGrant(GRANT_B, alice, code("CIVIL"), code("DPF"), [code("disability")], sender=deployer)
    e.recordAccesses(2, alice, code("HRSS"), code("CIVIL"), GRANT_A, sender=deployer)
    e.recordAccesses(1, alice, code("DPF"), code("CIVIL"), GRANT_B, sender=deployer)
    e.recordAccesses(3, bob, code("PSB"), code("HOUSING"), b"\0" * 32, sender=deployer)
    e.revokeGrant(GRANT_B, sender=deployer)
    route = [(code("CIVIL"), 1, 0), (code("DPF"), 2, 0), (code("FINANCE"), 1, 0)]
    z = b"\0" * 32

    def terms(doc: bytes, accepting: str, route: list[Any]) -> tuple[Any, ...]:
        return (doc, code(accepting), alice.address, z, z, 0, z, z, route)

    e.openCase(b"\x01" * 32, terms(b"\x11" * 32, "CIVIL", route), sender=deployer)
    e.openCase(b"\x02" * 32, terms(b"\x12" * 32, "CIVIL", route[:1]), sender=deployer)
    e.openCase(
        b"\x03" * 32, terms(b"\x13" * 32, "HOUSING", [(code("HOUSING"), 1, 0)]), sender=deployer
    )
    e.approveCase(b"\x02" * 32, code("CIVIL"), b"\x0a" * 32, sender=deployer)
    e.rejectCase(b"\x03" * 32, 0, code("HOUSING"), sender=deployer)
    e.attest(alice, code("PSB"), b"\x0b" * 32, 0, sender=deployer)
    e.attest(alice, code("CIVIL"), b"\x0c" * 32, 0, sender=deployer)
    e.attest(bob, code("PSB"), b"\x0d" * 32, 0, sender=deployer)
    e.revoke(b"\x0b" * 32, code("PSB"), sender=deployer)
    e.anchor(code("pension"), b"\x21" * 32, code("HRSS"), 1, sender=deployer)
    e.anchor(code("pension"), b"\x21" * 32, code("HRSS"), 2, sender=deployer)
    e.anchor(code("disability"), b"\x22" * 32, code("DPF"), 1, sender=deployer)
    engine = new_db()
    make_indexer(engine).sync()
    return engine


def test_access_trail_of_a_subject_lists_every_use_in_chain_order(
    scenario: Engine, citizens: list[Any]
) -> None:
    trail = access_by_subject(scenario, citizens[0].address.lower())
    assert [(r.args["owner"], r.args["grantee"], r.grant_id) for r in trail] == [
        (h("HRSS"), h("CIVIL"), "0x" + GRANT_A.hex()),
        (h("HRSS"), h("CIVIL"), "0x" + GRANT_A.hex()),
        (h("DPF"), h("CIVIL"), "0x" + GRANT_B.hex()),
    ]
    assert [(r.block_number, r.log_index) for r in trail] == sorted(
        (r.block_number, r.log_index) for r in trail
    )
    assert all(r.block_timestamp and r.tx_hash.startswith("0x") for r in trail)
    newest = access_by_subject(scenario, citizens[0].address, newest_first=True, limit=1)
    assert newest == [trail[-1]]
    assert access_by_subject(scenario, citizens[5].address) == []


def test_access_trail_of_a_department_covers_owner_and_grantee(scenario: Engine) -> None:
    assert len(access_by_department(scenario, "HRSS")) == 2  # as owner
    assert len(access_by_department(scenario, "CIVIL")) == 3  # as grantee
    assert len(access_by_department(scenario, code("HOUSING"))) == 3
    assert len(access_by_department(scenario, h("PSB"))) == 3
    assert access_by_department(scenario, "FINANCE") == []


def test_access_trail_of_a_grant(scenario: Engine) -> None:
    assert len(access_by_grant(scenario, GRANT_A)) == 2
    assert [r.subject for r in access_by_grant(scenario, "0x" + GRANT_B.hex())] == [
        access_by_grant(scenario, GRANT_B)[0].args["subject"]
    ]


def test_grants_of_a_subject_with_their_revocations(scenario: Engine, citizens: list[Any]) -> None:
    grants = grants_by_subject(scenario, citizens[0].address)
    assert [(g.grant_id, g.active) for g in grants] == [
        ("0x" + GRANT_A.hex(), True),
        ("0x" + GRANT_B.hex(), False),
    ]
    assert grants[1].revoked is not None and grants[1].revoked.event == "GrantRevoked"
    assert grants[0].created.args["categories"] == ["0x" + code("pension").hex()]
    assert grants_by_subject(scenario, citizens[1].address) == []


def test_open_cases_of_a_department_include_route_steps_and_exclude_closed_ones(
    scenario: Engine,
) -> None:
    def ids(dept: str) -> list[str | None]:
        return [r.case_id for r in open_cases_by_department(scenario, dept)]

    assert ids("CIVIL") == ["0x" + "01" * 32]  # case 2 approved
    assert ids("DPF") == ["0x" + "01" * 32]  # a later step of the route
    assert ids("FINANCE") == ["0x" + "01" * 32]
    assert ids("HOUSING") == []  # case 3 rejected
    assert ids("PSB") == []
    case = open_cases_by_department(scenario, "DPF")[0]
    assert case.subject == case.args["terms"]["applicantCitizen"]
    assert [s["department"] for s in case.args["terms"]["route"]] == [
        h("CIVIL"),
        h("DPF"),
        h("FINANCE"),
    ]


def test_attestations_of_a_subject_with_their_revocations(
    scenario: Engine, citizens: list[Any]
) -> None:
    rows = attestations_by_subject(scenario, citizens[0].address)
    assert [(a.uid, a.revoked is not None) for a in rows] == [
        ("0x" + "0b" * 32, True),
        ("0x" + "0c" * 32, False),
    ]
    assert rows[0].attested.department == h("PSB")
    assert rows[0].as_dict()["revoked"] is True
    assert [a.uid for a in attestations_by_subject(scenario, citizens[1].address)] == [
        "0x" + "0d" * 32
    ]


def test_anchors_of_a_department(scenario: Engine) -> None:
    hrss = anchors_by_department(scenario, "HRSS")
    assert [(r.args["recordId"], r.args["version"]) for r in hrss] == [
        ("0x" + "21" * 32, 1),
        ("0x" + "21" * 32, 2),
    ]
    assert all(r.category == "0x" + code("pension").hex() for r in hrss)
    assert len(anchors_by_department(scenario, "DPF")) == 1
    assert anchors_by_department(scenario, "CIVIL") == []


def test_event_names_come_from_one_table_and_can_be_overridden(
    scenario: Engine, citizens: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = citizens[0].address
    assert QUERY_EVENTS["access"] == ("AccessRecorded",)
    assert access_by_subject(scenario, alice, names={"access": ("AccessLogged",)}) == []
    monkeypatch.setitem(QUERY_EVENTS, "access", ("AccessRecorded", "GrantCreated"))
    assert {r.event for r in access_by_subject(scenario, alice)} == {
        "AccessRecorded",
        "GrantCreated",
    }


def test_bad_query_input_is_a_plain_error(scenario: Engine) -> None:
    with pytest.raises(IndexerError, match="invalid address"):
        access_by_subject(scenario, "0x1234")
    with pytest.raises(IndexerError, match="32-byte"):
        access_by_grant(scenario, "0x1234")
    assert (
        department_code("HRSS")
        == h("HRSS")
        == department_code(code("HRSS"))
        == department_code(h("HRSS"))
    )


def test_an_event_naming_a_department_twice_is_listed_once(
    emitter: Any,
    deployer: Any,
    citizens: list[Any],
    new_db: Callable[[], Engine],
    make_indexer: Callable[..., Indexer],
) -> None:
    emitter.recordAccesses(1, citizens[0], code("BDB"), code("BDB"), b"\0" * 32, sender=deployer)
    engine = new_db()
    make_indexer(engine).sync()
    (row,) = access_by_department(engine, "BDB")
    with engine.connect() as conn:
        links = conn.execute(
            select(event_departments.c.args).where(
                event_departments.c.block_number == row.block_number,
                event_departments.c.log_index == row.log_index,
            )
        ).all()
    assert [link.args for link in links] == ["owner,grantee"]
