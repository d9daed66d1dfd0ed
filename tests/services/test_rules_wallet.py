"""R2-5 in RuleRegistry (review s26 R-1): every rule and service message names its signer.

The setting: CIVIL made a contract wallet (ERC-1271, accepting its owner A's signatures) an
APPROVER beside A and the other approvers, and the registry needs two distinct approvers. Before
the fix, ``RegisterRule``, ``RetireRule``, ``RegisterService`` and ``RetireService`` did not name
their signer, so A's one signature, listed for A and for the wallet, counted twice: one person
registered a rule and bound it to the allowance in a service in force, from then on the authority
by which any CIVIL clerk issues the allowance by RULE step. Now each signer is asked about the
message naming itself: the wallet is asked about a message naming the wallet, which A never
signed. A genuine wallet approver (its owner signs the message naming the wallet) still counts.
"""

from __future__ import annotations

from typing import Any

import ape
import pytest
from eth_utils.crypto import keccak

from govchain.approval import CaseTerms
from govchain.services import catalog
from govchain.services.rules import (
    REGISTER_RULE,
    RETIRE_RULE,
    Requirement,
    name_code,
    proof,
    register_message,
    requirements_hash,
    retire_message,
    rule_id,
    rule_step,
)
from tests.helpers import ROLE_APPROVER
from tests.services.conftest import DAY, ZERO, Rulebook, WalletSigner, elderly_rule


@pytest.fixture
def a_and_her_wallet(project: Any, deployer: Any, departments: Any, depts: Any) -> tuple[Any, Any]:
    """CIVIL approver A, and a contract wallet (ERC-1271, owned by A's key) CIVIL made an APPROVER."""
    civil = depts["CIVIL"]
    a = civil.approvers[0]
    wallet = project.TestContractWallet.deploy(a, sender=deployer)
    departments.addMember(wallet, ROLE_APPROVER, sender=civil.admin)
    wallet.execute(departments, departments.acceptMembership.encode_input(civil.code), sender=a)
    return a, wallet


def _twice(signer: str, wallet: str, signature: bytes) -> tuple[list[str], list[bytes]]:
    """One signature listed for ``signer`` and for ``wallet``, signers ascending."""
    return sorted([signer, wallet], key=lambda s: int(s, 16)), [signature, signature]


def test_one_approvers_signature_does_not_count_for_her_wallet_too(
    book: Rulebook,
    rule_registry: Any,
    approvals: Any,
    citizens: Any,
    depts: Any,
    facts: dict[str, bytes],
    a_and_her_wallet: tuple[Any, Any],
) -> None:
    """The probe of review s26 R-1, refused at each of its two steps: a weak rule (residence
    only) and a service binding it to the allowance, each with A's one signature listed twice."""
    a, wallet = a_and_her_wallet
    civil = depts["CIVIL"]
    assert rule_registry.SIGNATURES() == 2
    name, deadline = name_code("one-person-rule"), book.now() + DAY
    weak = [Requirement(facts["residence"], 60 * DAY, (civil.code,))]
    once = REGISTER_RULE.sign(
        a.private_key, book.domain, register_message(civil.code, name, 1, weak, a.address, deadline)
    )
    signers, sigs = _twice(a.address, wallet.address, once)
    with ape.reverts(rule_registry.SignatureInvalidSigner, signer=wallet.address):
        rule_registry.register(
            civil.code, name, [r.as_tuple() for r in weak], deadline, signers, sigs,
            sender=civil.staff,
        )  # fmt: skip
    assert rule_registry.ruleOf(rule_id(civil.code, name)).version == 0

    # signing the message naming the wallet does not make it count for A either
    as_wallet = REGISTER_RULE.sign(
        a.private_key,
        book.domain,
        register_message(civil.code, name, 1, weak, wallet.address, deadline),
    )
    signers, sigs = _twice(a.address, wallet.address, as_wallet)
    with ape.reverts(rule_registry.SignatureInvalidSigner, signer=a.address):
        rule_registry.register(
            civil.code, name, [r.as_tuple() for r in weak], deadline, signers, sigs,
            sender=civil.staff,
        )  # fmt: skip

    # the weak rule registered properly (two approvers), A alone still cannot bind it to a benefit
    book.register("CIVIL", "one-person-rule", weak)
    rid = rule_id(civil.code, name)
    service = name_code("one-person-service")
    msg = catalog.register_message(
        civil.code, service, 1, rid, facts["allowance"], a.address, deadline
    )
    once = catalog.REGISTER_SERVICE.sign(a.private_key, book.domain, msg)
    signers, sigs = _twice(a.address, wallet.address, once)
    with ape.reverts(rule_registry.SignatureInvalidSigner, signer=wallet.address):
        rule_registry.registerService(
            (civil.code, service, rid, facts["allowance"], 0), deadline, signers, sigs,
            sender=civil.staff,
        )  # fmt: skip
    assert rule_registry.servicesInForce(civil.code, rid, facts["allowance"])[0] == 0

    # so no clerk issues the allowance on that rule: it carries no authority for the benefit
    bob = citizens[1]
    terms = CaseTerms(
        documents_hash=bytes(keccak(text="one person")),
        accepting_department=civil.code,
        route=(rule_step(rid, book.now() + DAY),),
        applicant_citizen=bob.address,
        schema=facts["allowance"],
    )
    evidence = [book.attest("CIVIL", bob, facts["residence"])]
    with ape.reverts(approvals.ApprovalRuleNotForSchema, ruleId=rid, schema=facts["allowance"]):
        approvals.openCaseByRule(terms.as_tuple(), [proof(weak, evidence)], sender=civil.staff)


def test_one_approvers_retirement_does_not_count_for_her_wallet_too(
    book: Rulebook,
    rule_registry: Any,
    depts: Any,
    facts: dict[str, bytes],
    a_and_her_wallet: tuple[Any, Any],
) -> None:
    """Retirements name their signer too: A alone retires neither a rule nor a service."""
    a, wallet = a_and_her_wallet
    civil = depts["CIVIL"]
    book.register("CIVIL", "elderly", elderly_rule(depts, facts))
    rid = rule_id(civil.code, name_code("elderly"))
    book.register_service("CIVIL", "allowance", rid, facts["allowance"])
    name, service, deadline = name_code("elderly"), name_code("allowance"), book.now() + DAY

    once = RETIRE_RULE.sign(
        a.private_key, book.domain, retire_message(civil.code, name, 1, a.address, deadline)
    )
    signers, sigs = _twice(a.address, wallet.address, once)
    with ape.reverts(rule_registry.SignatureInvalidSigner, signer=wallet.address):
        rule_registry.retire(civil.code, name, 1, deadline, signers, sigs, sender=civil.staff)
    assert rule_registry.ruleOf(rid).active

    msg = catalog.retire_message(civil.code, service, 1, a.address, deadline)
    once = catalog.RETIRE_SERVICE.sign(a.private_key, book.domain, msg)
    signers, sigs = _twice(a.address, wallet.address, once)
    with ape.reverts(rule_registry.SignatureInvalidSigner, signer=wallet.address):
        rule_registry.retireService(
            civil.code, service, 1, deadline, signers, sigs, sender=civil.staff
        )
    assert rule_registry.serviceOf(catalog.service_id(civil.code, service)).active


def test_a_wallet_approver_signing_the_message_naming_it_still_counts(
    book: Rulebook,
    rule_registry: Any,
    depts: Any,
    facts: dict[str, bytes],
    a_and_her_wallet: tuple[Any, Any],
) -> None:
    """A genuine ERC-1271 approver: its owner signs the messages naming the wallet; with approver
    B's own signature, the two distinct approvers register and retire a rule and a service."""
    a, wallet = a_and_her_wallet
    civil = depts["CIVIL"]
    b = civil.approvers[1]
    pair = [b, WalletSigner(wallet.address, a.private_key)]
    receipt = book.register("CIVIL", "elderly", elderly_rule(depts, facts), signers=pair)
    [log] = receipt.decode_logs(rule_registry.RuleRegistered)
    assert sorted(log.signers) == sorted([b.address, wallet.address])
    rid = rule_id(civil.code, name_code("elderly"))
    receipt = book.register_service("CIVIL", "allowance", rid, facts["allowance"], signers=pair)
    [slog] = receipt.decode_logs(rule_registry.ServiceRegistered)
    assert sorted(slog.signers) == sorted([b.address, wallet.address])
    assert tuple(rule_registry.servicesInForce(civil.code, rid, facts["allowance"])) == (1, 0)
    book.retire_service("CIVIL", "allowance", signers=pair)
    book.retire("CIVIL", "elderly", signers=pair)
    assert not rule_registry.ruleOf(rid).active
    assert rule_registry.servicesInForce(civil.code, rid, facts["allowance"])[0] == 0


def test_the_hash_views_name_the_signer(
    book: Rulebook, rule_registry: Any, depts: Any, facts: dict[str, bytes]
) -> None:
    """Each ``*Hash`` view is the SDK's digest of the message naming the signer it is given, and
    differs per signer."""
    civil = depts["CIVIL"]
    a, b = (x.address for x in civil.approvers[:2])
    code, name, deadline = civil.code, name_code("elderly"), book.now() + DAY
    rule = elderly_rule(depts, facts)
    rh = requirements_hash(rule)
    rid = rule_id(code, name)
    terms = (code, name_code("allowance"), rid, facts["allowance"], 7 * DAY)
    for who in (a, b):
        assert rule_registry.registerHash(code, name, 3, rh, who, deadline) == REGISTER_RULE.digest(
            book.domain, register_message(code, name, 3, rule, who, deadline)
        )
        assert rule_registry.retireHash(code, name, 3, who, deadline) == RETIRE_RULE.digest(
            book.domain, retire_message(code, name, 3, who, deadline)
        )
        reg = catalog.register_message(
            *terms[:2], 2, rid, facts["allowance"], who, deadline, 7 * DAY
        )
        assert rule_registry.serviceRegisterHash(
            terms, 2, who, deadline
        ) == catalog.REGISTER_SERVICE.digest(book.domain, reg)
        ret = catalog.retire_message(code, terms[1], 2, who, deadline)
        assert rule_registry.serviceRetireHash(
            code, terms[1], 2, who, deadline
        ) == catalog.RETIRE_SERVICE.digest(book.domain, ret)
    assert rule_registry.registerHash(code, name, 3, rh, a, deadline) != rule_registry.registerHash(
        code, name, 3, rh, b, deadline
    )
    assert rule_registry.registerHash(code, name, 3, rh, ZERO, deadline) != (
        rule_registry.registerHash(code, name, 3, rh, a, deadline)
    )
