"""A key the council marked compromised decides no rule (review s26, I-2).

A RULE step issues a benefit with no approver deciding the case, on the strength of the
attestations it is shown. An attestation made by a key that was later stolen stays valid in
the registry (and on an irrevocable schema only the council can revoke it, and only for a
Suspended or Retired department), and a theft may predate the council's marking. So
``RuleCheckLib`` refuses every attestation whose attester the council marked compromised
(``RuleAttesterCompromised(uid, attester, since)``), one ``issuerStanding`` call per attestation
(the issuer's status and the attester's mark); the department re-attests what is true.
"""

# ruff: noqa: F811  (fixtures imported for pytest are parameters of the tests here)
from __future__ import annotations

from typing import Any

import ape

from govchain.approval import CaseStatus
from govchain.services.rules import Evidence, name_code, proof, rule_id
from tests.approval.conftest import (  # noqa: F401 (fixtures)
    approvals,
    attestations,
    citizen_registry,
    desk,
    rule_registry,
)
from tests.helpers import ROLE_STAFF
from tests.services.conftest import Rulebook, book, elderly_rule, facts  # noqa: F401 (fixtures)


def _facts(book: Rulebook, citizen: Any, facts: Any) -> list[Evidence]:
    return [
        book.attest("PSB", citizen, facts["age"], data="born 1960"),
        book.attest("CIVIL", citizen, facts["residence"], data="Hangzhou"),
        book.attest("HRSS", citizen, facts["low_income"], data="below"),
    ]


def test_a_compromised_keys_attestations_decide_no_rule_until_re_attested(
    book: Rulebook, approvals: Any, rule_registry: Any, departments: Any, council: Any,
    depts: Any, facts: Any, citizens: Any, outsider: Any,
) -> None:  # fmt: skip
    book.register("CIVIL", "elderly", elderly_rule(depts, facts))
    rid = rule_id(depts["CIVIL"].code, name_code("elderly"))
    reqs = elderly_rule(depts, facts)
    rows = [r.as_tuple() for r in reqs]
    alice, bob, psb = citizens[0], citizens[1], depts["PSB"]
    hers, his = _facts(book, alice, facts), _facts(book, bob, facts)
    version, _ = rule_registry.check(rid, alice.address, rows, [e.as_tuple() for e in hers])
    assert version == 1

    tx = departments.markCompromised(psb.staff, sender=council)
    since = int(tx.timestamp)
    age = hers[0]
    assert book.attestations.isValid(age.uid)  # the registry still holds it valid
    with ape.reverts(
        rule_registry.RuleAttesterCompromised, uid=age.uid, attester=psb.staff.address, since=since
    ):
        rule_registry.check(rid, alice.address, rows, [e.as_tuple() for e in hers])
    # a RULE step refuses it the same way: the view and the step are one rule
    terms = book.rule_terms([rid], bob)
    with ape.reverts(approvals.RuleAttesterCompromised, uid=his[0].uid, since=since):
        approvals.openCaseByRule(terms.as_tuple(), [proof(reqs, his)], sender=depts["CIVIL"].staff)

    # PSB's new STAFF key attests bob's age again: the rule decides
    departments.addMember(outsider, ROLE_STAFF, sender=psb.admin)
    departments.acceptMembership(psb.code, sender=outsider)
    receipt = book.attestations.attest(
        bob.address, facts["age"], b"\x01" * 32, 0, b"\0" * 32, sender=outsider
    )
    [log] = receipt.decode_logs(book.attestations.Attested)
    fresh = Evidence.from_event(dict(log.event_arguments), int(receipt.timestamp))
    approvals.openCaseByRule(
        terms.as_tuple(), [proof(reqs, [fresh, *his[1:]])], sender=depts["CIVIL"].staff
    )
    assert approvals.caseOf(terms.case_id()).status == CaseStatus.APPROVED
