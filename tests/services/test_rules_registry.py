"""RuleRegistry: versioned rules registered and retired by k-of-n approvers' EIP-712 signatures."""

from __future__ import annotations

from typing import Any

import ape

from govchain.services.rules import (
    REGISTER_RULE,
    Requirement,
    name_code,
    register_message,
    requirements_hash,
    rule_id,
)
from tests.services.conftest import DAY, ZERO, Rulebook, elderly_rule


def _rid(depts: Any, dept: str, name: str) -> bytes:
    return rule_id(depts[dept].code, name_code(name))


def test_registration_makes_versions_and_retirement_ends_the_current_one(
    book: Rulebook, rule_registry: Any, depts: Any, facts: Any, outsider: Any
) -> None:
    rule = elderly_rule(depts, facts)
    rid = _rid(depts, "CIVIL", "elderly")
    assert rule_registry.ruleIdOf(depts["CIVIL"].code, name_code("elderly")) == rid
    assert rule_registry.requirementsHashOf([r.as_tuple() for r in rule]) == requirements_hash(rule)
    receipt = book.register("CIVIL", "elderly", rule, sender=outsider)  # anyone relays
    [log] = receipt.decode_logs(rule_registry.RuleRegistered)
    assert (log.ruleId, log.department, log.version) == (rid, depts["CIVIL"].code, 1)
    assert log.name == name_code("elderly") and log.sender == outsider.address
    assert [Requirement.from_raw(r) for r in log.requirements] == rule
    signers = sorted(a.address for a in depts["CIVIL"].approvers[:2])
    assert sorted(log.signers) == signers
    view = rule_registry.ruleOf(rid)
    assert (view.department, view.version, view.active) == (depts["CIVIL"].code, 1, True)
    assert view.requirementsHash == requirements_hash(rule)

    book.register("CIVIL", "elderly", rule[:2])
    assert rule_registry.ruleOf(rid).version == 2
    assert rule_registry.ruleOf(rid).requirementsHash == requirements_hash(rule[:2])

    receipt = book.retire("CIVIL", "elderly")
    [retired] = receipt.decode_logs(rule_registry.RuleRetired)
    assert (retired.ruleId, retired.version) == (rid, 2)
    # the retirement takes number 3 itself (review s27 R-2), so the next version is 4
    assert not rule_registry.ruleOf(rid).active and rule_registry.ruleOf(rid).version == 3
    with ape.reverts(rule_registry.RuleNotInForce, ruleId=rid):
        book.retire("CIVIL", "elderly")
    book.register("CIVIL", "elderly", rule)
    assert rule_registry.ruleOf(rid).version == 4 and rule_registry.ruleOf(rid).active


def test_a_registration_signed_before_a_retirement_cannot_be_relayed_after_it(
    book: Rulebook, rule_registry: Any, depts: Any, facts: Any, outsider: Any
) -> None:
    # review s27 R-2: approvers sign version 2 (a weaker rule), abandon it and retire the rule;
    # whoever holds the signed file cannot bring the weaker rule into force with it
    civil = depts["CIVIL"]
    strict = elderly_rule(depts, facts)
    book.register("CIVIL", "elderly", strict)
    rid = _rid(depts, "CIVIL", "elderly")
    weaker = strict[:2]
    deadline = book.now() + DAY
    msg = register_message(civil.code, name_code("elderly"), 2, weaker, ZERO, deadline)
    held = book.sign(REGISTER_RULE, msg, civil.approvers[:2])
    book.retire("CIVIL", "elderly")
    first = min(held, key=lambda h: int(h.signer, 16))
    with ape.reverts(rule_registry.SignatureInvalidSigner, signer=first.signer):
        rule_registry.register(
            civil.code,
            name_code("elderly"),
            [r.as_tuple() for r in weaker],
            deadline,
            [h.signer for h in sorted(held, key=lambda h: int(h.signer, 16))],
            [h.signature for h in sorted(held, key=lambda h: int(h.signer, 16))],
            sender=outsider,
        )
    view = rule_registry.ruleOf(rid)
    assert not view.active and view.version == 2
    assert bytes(view.requirementsHash) == requirements_hash(strict)


def test_a_rule_change_needs_the_deployments_number_of_approvers(
    book: Rulebook, rule_registry: Any, depts: Any, facts: Any
) -> None:
    assert rule_registry.SIGNATURES() == 2
    with ape.reverts(rule_registry.RuleInsufficientSignatures, provided=1, required=2):
        book.register(
            "CIVIL", "elderly", elderly_rule(depts, facts), signers=depts["CIVIL"].approvers[:1]
        )
    book.register("CIVIL", "elderly", elderly_rule(depts, facts), signers=depts["CIVIL"].approvers)


def test_signers_are_distinct_and_ascending(
    book: Rulebook, rule_registry: Any, depts: Any, facts: Any
) -> None:
    a = depts["CIVIL"].approvers[0]
    with ape.reverts(rule_registry.RuleSignerOrder, signer=a.address, previous=a.address):
        book.register("CIVIL", "elderly", elderly_rule(depts, facts), signers=[a, a])


def test_only_the_departments_active_approvers_change_its_rules(
    book: Rulebook,
    rule_registry: Any,
    departments: Any,
    depts: Any,
    facts: Any,
    council: Any,
) -> None:
    rule = elderly_rule(depts, facts)
    civil = depts["CIVIL"]
    staff_and_approver = sorted([civil.staff, civil.approvers[0]], key=lambda x: int(x.address, 16))
    with ape.reverts(
        rule_registry.RuleNotApprover, signer=civil.staff.address, department=civil.code
    ):
        book.register("CIVIL", "elderly", rule, signers=staff_and_approver)
    other = [depts["PSB"].approvers[0], civil.approvers[0]]
    with ape.reverts(
        rule_registry.RuleNotApprover,
        signer=depts["PSB"].approvers[0].address,
        department=civil.code,
    ):
        book.register("CIVIL", "elderly", rule, signers=other)
    departments.suspend(civil.code, sender=council)
    first = min(civil.approvers[:2], key=lambda x: int(x.address, 16))
    with ape.reverts(rule_registry.RuleNotApprover, signer=first.address, department=civil.code):
        book.register("CIVIL", "elderly", rule)


def test_a_signature_binds_version_deadline_and_requirements(
    book: Rulebook, rule_registry: Any, depts: Any, facts: Any, chain: Any
) -> None:
    rule = elderly_rule(depts, facts)
    first = min(depts["CIVIL"].approvers[:2], key=lambda x: int(x.address, 16))
    # signed for version 2 while version 1 is next: recovers to another key
    with ape.reverts(rule_registry.SignatureInvalidSigner, signer=first.address):
        book.register("CIVIL", "elderly", rule, version=2)
    deadline = book.now() - 1
    with ape.reverts(rule_registry.SignatureExpired, deadline=deadline):
        book.register("CIVIL", "elderly", rule, deadline=deadline)


def test_a_replayed_registration_is_refused(
    book: Rulebook, rule_registry: Any, depts: Any, facts: Any, chain: Any
) -> None:
    """The version is the message's unique id: version 1's signatures cannot register again."""
    from govchain.services.rules import REGISTER_RULE, register_message

    rule = elderly_rule(depts, facts)
    code, name = depts["CIVIL"].code, name_code("elderly")
    deadline = book.now() + DAY
    sigs = book.sign(
        REGISTER_RULE,
        register_message(code, name, 1, rule, ZERO, deadline),
        depts["CIVIL"].approvers[:2],
    )
    args = (
        code,
        name,
        [r.as_tuple() for r in rule],
        deadline,
        [s.signer for s in sigs],
        [s.signature for s in sigs],
    )
    rule_registry.register(*args, sender=depts["CIVIL"].staff)
    with ape.reverts(rule_registry.SignatureInvalidSigner, signer=sigs[0].signer):
        rule_registry.register(*args, sender=depts["CIVIL"].staff)


def test_requirements_are_checked_at_registration(
    book: Rulebook, rule_registry: Any, depts: Any, facts: Any
) -> None:
    good = elderly_rule(depts, facts)
    with ape.reverts(rule_registry.RuleInvalidRequirementCount, count=0):
        book.register("CIVIL", "elderly", [])
    bad = [
        Requirement(b"\0" * 32, DAY, (depts["PSB"].code,)),
        Requirement(facts["age"], 0, (depts["PSB"].code,)),
        Requirement(facts["age"], DAY, ()),
        Requirement(facts["age"], DAY, (b"\0" * 32,)),
    ]
    for r in bad:
        with ape.reverts(rule_registry.RuleInvalidRequirement, index=1):
            book.register("CIVIL", "elderly", [good[0], r])
    with ape.reverts(rule_registry.RuleInvalidName):
        rule_registry.register(
            depts["CIVIL"].code,
            b"\0" * 32,
            [good[0].as_tuple()],
            0,
            [],
            [],
            sender=depts["CIVIL"].staff,
        )
