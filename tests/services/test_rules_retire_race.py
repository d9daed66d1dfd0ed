"""R-3 (review s28): a retirement ends the line whatever registration is relayed before it.

The approvers sign a retirement seeing version N in force; it retires N or any version
registered after it (an abandoned change relayed first, by anyone holding its files, no
longer voids it), once: a retirement must name a version registered since the line's last
retirement (``RuleRetirementVersion`` / ``ServiceRetirementVersion`` otherwise). R-2 (a
registration signed before a retirement cannot be relayed after it) is in
test_rules_registry.py and test_services_registry.py.
"""

from __future__ import annotations

from typing import Any

import ape

from govchain.services import catalog
from govchain.services.rules import (
    REGISTER_RULE,
    RETIRE_RULE,
    Requirement,
    name_code,
    register_message,
    retire_message,
    rule_id,
)
from tests.services.conftest import DAY, YEAR, ZERO, Rulebook, elderly_rule


def _sorted(signed: list[Any]) -> tuple[list[str], list[bytes]]:
    ordered = sorted(signed, key=lambda s: int(s.signer, 16))
    return [s.signer for s in ordered], [s.signature for s in ordered]


def test_a_pending_service_registration_relayed_first_is_retired_too(
    book: Rulebook, rule_registry: Any, depts: Any, facts: Any, outsider: Any
) -> None:
    civil = depts["CIVIL"]
    book.register("CIVIL", "elderly", elderly_rule(depts, facts))
    rid = rule_id(civil.code, name_code("elderly"))
    name = name_code("allowance")
    sid = catalog.service_id(civil.code, name)
    book.register_service("CIVIL", "allowance", rid, facts["allowance"], valid_for=30 * DAY)
    deadline = book.now() + DAY
    # the approvers sign version 2 (the benefit valid with no limit) ...
    change = catalog.register_message(
        civil.code, name, 2, rid, facts["allowance"], ZERO, deadline, 0
    )
    held = _sorted(book.sign(catalog.REGISTER_SERVICE, change, civil.approvers[:2]))
    # ... then decide to stop the service instead, and sign its retirement (seeing version 1)
    stop = catalog.retire_message(civil.code, name, 1, ZERO, deadline)
    retirement = _sorted(book.sign(catalog.RETIRE_SERVICE, stop, civil.approvers[:2]))
    # whoever holds the abandoned file relays it first (front-running the retirement) ...
    terms = (civil.code, name, rid, facts["allowance"], 0)
    rule_registry.registerService(terms, deadline, *held, sender=outsider)
    assert rule_registry.serviceOf(sid).version == 2
    # ... and the retirement, signed seeing version 1, still ends the line: version 2 with it
    receipt = rule_registry.retireService(
        civil.code, name, 1, deadline, *retirement, sender=outsider
    )
    [log] = receipt.decode_logs(rule_registry.ServiceRetired)
    assert (log.serviceId, log.version, log.sender) == (sid, 2, outsider.address)
    view = rule_registry.serviceOf(sid)
    assert not view.active and view.version == 3
    assert rule_registry.servicesInForce(civil.code, rid, facts["allowance"]) == (0, 0)
    # the abandoned registration cannot be relayed again (its version is past)
    with ape.reverts(rule_registry.SignatureInvalidSigner, signer=held[0][0]):
        rule_registry.registerService(terms, deadline, *held, sender=outsider)


def test_a_pending_rule_registration_relayed_first_is_retired_too(
    book: Rulebook, rule_registry: Any, depts: Any, facts: Any, outsider: Any
) -> None:
    civil = depts["CIVIL"]
    book.register("CIVIL", "elderly", elderly_rule(depts, facts))
    rid = rule_id(civil.code, name_code("elderly"))
    name = name_code("elderly")
    deadline = book.now() + DAY
    # version 2 drops the income condition (signed, then abandoned) ...
    looser = [Requirement(facts["age"], YEAR, (civil.code, depts["PSB"].code))]
    msg = register_message(civil.code, name, 2, looser, ZERO, deadline)
    held = _sorted(book.sign(REGISTER_RULE, msg, civil.approvers[:2]))
    # ... and the approvers retire the rule instead
    stop = retire_message(civil.code, name, 1, ZERO, deadline)
    retirement = _sorted(book.sign(RETIRE_RULE, stop, civil.approvers[:2]))
    looser_raw = [r.as_tuple() for r in looser]
    rule_registry.register(civil.code, name, looser_raw, deadline, *held, sender=outsider)
    assert rule_registry.ruleOf(rid).version == 2
    receipt = rule_registry.retire(civil.code, name, 1, deadline, *retirement, sender=outsider)
    [log] = receipt.decode_logs(rule_registry.RuleRetired)
    assert (log.ruleId, log.version) == (rid, 2)
    view = rule_registry.ruleOf(rid)
    assert not view.active and view.version == 3


def test_a_rule_retirement_applies_once_and_never_ahead(
    book: Rulebook, rule_registry: Any, depts: Any, facts: Any, outsider: Any
) -> None:
    civil = depts["CIVIL"]
    rule = elderly_rule(depts, facts)
    book.register("CIVIL", "elderly", rule)
    rid = rule_id(civil.code, name_code("elderly"))
    name = name_code("elderly")
    deadline = book.now() + DAY
    signed = {
        v: _sorted(
            book.sign(
                RETIRE_RULE,
                retire_message(civil.code, name, v, ZERO, deadline),
                civil.approvers[:2],
            )
        )
        for v in (0, 1, 2, 5)
    }
    # a version not yet registered (ahead), or 0 (no version), is refused
    for v in (0, 2, 5):
        with ape.reverts(rule_registry.RuleRetirementVersion, ruleId=rid, version=v):
            rule_registry.retire(civil.code, name, v, deadline, *signed[v], sender=outsider)
    # signatures of another version than the one named are refused as signatures
    with ape.reverts(rule_registry.SignatureInvalidSigner, signer=signed[0][0][0]):
        rule_registry.retire(civil.code, name, 1, deadline, *signed[0], sender=outsider)
    rule_registry.retire(civil.code, name, 1, deadline, *signed[1], sender=outsider)
    book.register("CIVIL", "elderly", rule)  # version 3, after the retirement took 2
    assert rule_registry.ruleOf(rid).version == 3
    # the used retirement (seeing 1) and one signed seeing the retired line (2) do not apply
    for v in (1, 2):
        with ape.reverts(rule_registry.RuleRetirementVersion, ruleId=rid, version=v):
            rule_registry.retire(civil.code, name, v, deadline, *signed[v], sender=outsider)
    assert rule_registry.ruleOf(rid).active
    book.retire("CIVIL", "elderly")  # a retirement signed seeing version 3 does
    assert not rule_registry.ruleOf(rid).active and rule_registry.ruleOf(rid).version == 4


def test_a_service_retirement_applies_once_and_never_ahead(
    book: Rulebook, rule_registry: Any, depts: Any, facts: Any, outsider: Any
) -> None:
    civil = depts["CIVIL"]
    book.register("CIVIL", "elderly", elderly_rule(depts, facts))
    rid = rule_id(civil.code, name_code("elderly"))
    name = name_code("allowance")
    sid = catalog.service_id(civil.code, name)
    book.register_service("CIVIL", "allowance", rid, facts["allowance"])
    deadline = book.now() + DAY
    signed = {
        v: _sorted(
            book.sign(
                catalog.RETIRE_SERVICE,
                catalog.retire_message(civil.code, name, v, ZERO, deadline),
                civil.approvers[:2],
            )
        )
        for v in (0, 1, 2)
    }
    for v in (0, 2):
        with ape.reverts(rule_registry.ServiceRetirementVersion, serviceId=sid, version=v):
            rule_registry.retireService(civil.code, name, v, deadline, *signed[v], sender=outsider)
    rule_registry.retireService(civil.code, name, 1, deadline, *signed[1], sender=outsider)
    with ape.reverts(rule_registry.ServiceNotInForce, serviceId=sid):
        rule_registry.retireService(civil.code, name, 1, deadline, *signed[1], sender=outsider)
    book.register_service("CIVIL", "allowance", rid, facts["allowance"])  # version 3
    for v in (1, 2):
        with ape.reverts(rule_registry.ServiceRetirementVersion, serviceId=sid, version=v):
            rule_registry.retireService(civil.code, name, v, deadline, *signed[v], sender=outsider)
    assert rule_registry.serviceOf(sid).active
    book.retire_service("CIVIL", "allowance")
    assert not rule_registry.serviceOf(sid).active and rule_registry.serviceOf(sid).version == 4
