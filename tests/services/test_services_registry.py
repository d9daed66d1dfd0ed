"""Services on RuleRegistry: a department's rule bound to the benefit it grants, registered and
retired by k-of-n approvers' EIP-712 signatures, and each way a registration is refused."""

from __future__ import annotations

from typing import Any

import ape

from govchain.services import catalog
from govchain.services.rules import name_code, rule_id
from tests.services.conftest import DAY, ZERO, Rulebook, elderly_rule


def _ids(depts: Any) -> tuple[bytes, bytes]:
    code = depts["CIVIL"].code
    return rule_id(code, name_code("elderly")), catalog.service_id(code, name_code("allowance"))


def test_registration_versions_and_retirement(
    book: Rulebook, rule_registry: Any, depts: Any, facts: Any, outsider: Any
) -> None:
    book.register("CIVIL", "elderly", elderly_rule(depts, facts))
    rid, sid = _ids(depts)
    code = depts["CIVIL"].code
    assert rule_registry.serviceIdOf(code, name_code("allowance")) == sid
    assert sid != rule_id(code, name_code("allowance"))  # apart from rule ids
    receipt = book.register_service("CIVIL", "allowance", rid, facts["allowance"], sender=outsider)
    [log] = receipt.decode_logs(rule_registry.ServiceRegistered)
    assert (log.serviceId, log.department, log.version, log.ruleId, log.benefit) == (
        sid,
        code,
        1,
        rid,
        facts["allowance"],
    )
    assert log.name == name_code("allowance") and log.sender == outsider.address
    assert sorted(log.signers) == sorted(a.address for a in depts["CIVIL"].approvers[:2])
    view = rule_registry.serviceOf(sid)
    assert (view.department, view.ruleId, view.benefit, view.version, view.active) == (
        code,
        rid,
        facts["allowance"],
        1,
        True,
    )
    receipt = book.retire_service("CIVIL", "allowance")
    [retired] = receipt.decode_logs(rule_registry.ServiceRetired)
    assert (retired.serviceId, retired.version) == (sid, 1)
    # the retirement takes number 2 itself (review s27 R-2), so the next version is 3
    assert not rule_registry.serviceOf(sid).active and rule_registry.serviceOf(sid).version == 2
    with ape.reverts(rule_registry.ServiceNotInForce, serviceId=sid):
        book.retire_service("CIVIL", "allowance")
    book.register_service("CIVIL", "allowance", rid, facts["allowance"])
    assert rule_registry.serviceOf(sid).version == 3 and rule_registry.serviceOf(sid).active


def test_a_service_registration_signed_before_a_retirement_cannot_be_relayed_after_it(
    book: Rulebook, rule_registry: Any, depts: Any, facts: Any, outsider: Any
) -> None:
    # review s27 R-2: approvers sign version 2 (unlimited validity), then retire the service
    # instead; whoever holds the signed file cannot bring it back with it
    civil = depts["CIVIL"]
    book.register("CIVIL", "elderly", elderly_rule(depts, facts))
    rid, sid = _ids(depts)
    name = name_code("allowance")
    book.register_service("CIVIL", "allowance", rid, facts["allowance"], valid_for=30 * DAY)
    deadline = book.now() + DAY
    msg = catalog.register_message(civil.code, name, 2, rid, facts["allowance"], ZERO, deadline, 0)
    held = sorted(
        book.sign(catalog.REGISTER_SERVICE, msg, civil.approvers[:2]),
        key=lambda h: int(h.signer, 16),
    )
    book.retire_service("CIVIL", "allowance")
    with ape.reverts(rule_registry.SignatureInvalidSigner, signer=held[0].signer):
        rule_registry.registerService(
            (civil.code, name, rid, facts["allowance"], 0),
            deadline,
            [h.signer for h in held],
            [h.signature for h in held],
            sender=outsider,
        )
    assert not rule_registry.serviceOf(sid).active
    assert rule_registry.servicesInForce(civil.code, rid, facts["allowance"])[0] == 0


def test_a_service_grants_on_its_own_departments_rule_only(
    book: Rulebook, rule_registry: Any, depts: Any, facts: Any
) -> None:
    book.register("PSB", "elderly", elderly_rule(depts, facts))
    psb_rule = rule_id(depts["PSB"].code, name_code("elderly"))
    with ape.reverts(
        rule_registry.ServiceRuleNotOwned, ruleId=psb_rule, department=depts["CIVIL"].code
    ):
        book.register_service("CIVIL", "allowance", psb_rule, facts["allowance"])
    never = rule_id(depts["CIVIL"].code, name_code("never"))
    with ape.reverts(rule_registry.ServiceRuleNotOwned, ruleId=never):
        book.register_service("CIVIL", "allowance", never, facts["allowance"])


def test_the_benefit_must_be_one_the_departments_approvers_may_attest(
    book: Rulebook, rule_registry: Any, depts: Any, facts: Any
) -> None:
    book.register("CIVIL", "elderly", elderly_rule(depts, facts))
    rid, _sid = _ids(depts)
    # ``age`` is a STAFF schema: no case of CIVIL's approvers could issue it
    with ape.reverts(
        rule_registry.ServiceBenefitNotAllowed, benefit=facts["age"], department=depts["CIVIL"].code
    ):
        book.register_service("CIVIL", "allowance", rid, facts["age"])
    with ape.reverts(rule_registry.ServiceInvalid):
        book.register_service("CIVIL", "allowance", rid, b"\0" * 32)


def test_only_k_of_the_departments_approvers_register(
    book: Rulebook, rule_registry: Any, depts: Any, facts: Any
) -> None:
    book.register("CIVIL", "elderly", elderly_rule(depts, facts))
    rid, _sid = _ids(depts)
    with ape.reverts(rule_registry.RuleInsufficientSignatures, provided=1, required=2):
        book.register_service(
            "CIVIL", "allowance", rid, facts["allowance"], signers=depts["CIVIL"].approvers[:1]
        )
    stranger = depts["PSB"].approvers[0]
    with ape.reverts(rule_registry.RuleNotApprover, signer=stranger.address):
        book.register_service(
            "CIVIL",
            "allowance",
            rid,
            facts["allowance"],
            signers=[depts["CIVIL"].approvers[0], stranger],
        )


def test_a_signed_registration_is_used_once_and_expires(
    book: Rulebook, rule_registry: Any, depts: Any, facts: Any
) -> None:
    """The version is the message's unique id: signatures of version 1 do not register again."""
    book.register("CIVIL", "elderly", elderly_rule(depts, facts))
    rid, _sid = _ids(depts)
    code, name = depts["CIVIL"].code, name_code("allowance")
    deadline = book.now() + DAY
    msg = catalog.register_message(code, name, 1, rid, facts["allowance"], ZERO, deadline)
    sigs = book.sign(catalog.REGISTER_SERVICE, msg, depts["CIVIL"].approvers[:2])
    terms = (code, name, rid, facts["allowance"], 0)
    args = (terms, deadline, [s.signer for s in sigs])
    rule_registry.registerService(*args, [s.signature for s in sigs], sender=depts["CIVIL"].staff)
    with ape.reverts(rule_registry.SignatureInvalidSigner, signer=sigs[0].signer):
        rule_registry.registerService(
            *args, [s.signature for s in sigs], sender=depts["CIVIL"].staff
        )
    first = sigs[0].signer
    assert rule_registry.serviceRegisterHash(
        terms, 1, first, deadline
    ) == catalog.REGISTER_SERVICE.digest(book.domain, {**msg, "signer": first})
