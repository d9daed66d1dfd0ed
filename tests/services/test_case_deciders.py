"""An attestation carries exactly the authority of those who decided it (review s27 C-1).

A case's attestation names ``CaseApprovals`` as its attester, never the keys that decided it.
``CaseApprovals`` keeps, per case whose terms issue an attestation, the fold of its deciders
(``decidersHash``), and a RULE step refuses such evidence unless the proof names the case and
its deciders (``CaseDeciders``), none marked compromised now: a signature step's signers, a
vote step's counted voters, and a RULE step's evidence attesters and, for a case's
attestation, that case's deciders (transitively).

The property (a rule check refuses an attestation exactly when some key that decided it is
marked now) is checked against a model over mixed operations in
``test_case_deciders_machine.py``; here the examples, each against a real devnet: the review's
probe as a regression test, each way a key decides, and each malformed proof entry.
"""

# ruff: noqa: F811  (fixtures imported for pytest are parameters of the tests here)
from __future__ import annotations

from pathlib import Path
from typing import Any

import ape
import pytest
from eth_account import Account

from govchain.approval import CaseStatus, CaseTerms
from govchain.errors import NotFound
from govchain.network import Connection, Deployment
from govchain.services.deciders import CaseDeciders, fold
from govchain.services.rulebook import Rulebook as SdkRulebook
from govchain.services.rules import Evidence, Requirement, name_code, proof, rule_id
from govchain.tx import Sender
from tests.approval.conftest import (  # noqa: F401 (fixtures)
    DAY,
    approvals,
    attestations,
    citizen_registry,
    desk,
    register_schema,
    rule_registry,
)
from tests.helpers import ROLE_APPROVER
from tests.services.conftest import (  # noqa: F401 (fixtures)
    YEAR,
    Rulebook,
    book,
    elderly_rule,
    facts,
)

ZERO32 = b"\0" * 32


def _issued(book: Rulebook, receipt: Any) -> Evidence:
    """The uid preimage of the one attestation ``receipt`` issued."""
    [log] = receipt.decode_logs(book.attestations.Attested)
    block = book.chain.provider.web3.eth.get_block(receipt.block_number)
    return Evidence.from_event(dict(log.event_arguments), int(block["timestamp"]))


def _signed_case(
    book: Rulebook, route: list[tuple[str, int]], deciders: list[list[Any]], citizen: Any,
    facts: Any, documents: bytes = b"\x05" * 32,
) -> tuple[bytes, Evidence]:  # fmt: skip
    """A case of ``route`` issuing the allowance to ``citizen``, each step signed by its list
    (an attestation's uid is its contents': two cases issuing in one second differ by documents)."""
    desk = book.desk
    terms = desk.terms(route, citizen=citizen, schema=facts["allowance"], documents=documents)
    case_id = desk.open(terms)
    receipt = None
    for step, keys in enumerate(deciders):
        decision = desk.step_decision(case_id, step, sorted(keys, key=lambda k: int(k.address, 16)))
        receipt = desk.submit(case_id, terms, [decision], sender=book.depts["CIVIL"].staff)
    assert book.approvals.caseOf(case_id).status == CaseStatus.APPROVED
    return case_id, _issued(book, receipt)


def _follow_up(
    book: Rulebook, depts: Any, facts: Any, name: str = "follow-up"
) -> tuple[bytes, list[Requirement]]:
    """A CIVIL rule met by holding the allowance of CIVIL."""
    reqs = [Requirement(facts["allowance"], YEAR, (depts["CIVIL"].code,))]
    book.register("CIVIL", name, reqs)
    return rule_id(depts["CIVIL"].code, name_code(name)), reqs


def _decide_follow_up(
    book: Rulebook, rid: bytes, reqs: list[Requirement], citizen: Any, ev: Evidence,
    cases: list[tuple[bytes, list[str]]], schema: bytes = b"\0" * 32,
) -> tuple[CaseTerms, Any]:  # fmt: skip
    """Open and decide a case of rule ``rid`` with ``ev``; its terms and receipt."""
    terms = book.rule_terms([rid], citizen, schema=schema, documents=ev.uid)
    receipt = book.approvals.openCaseByRule(
        terms.as_tuple(), [proof(reqs, [ev], cases)], sender=book.depts["CIVIL"].staff
    )
    return terms, receipt


def _mark(departments: Any, council: Any, key: Any) -> int:
    departments.markCompromised(key, sender=council)
    since = int(departments.compromisedSince(key))
    assert since != 0
    return since


def _connection(book: Rulebook, departments: Any, tmp_path: Path) -> Connection:
    """An SDK connection to the test devnet's contracts."""
    w3 = book.chain.provider.web3
    deployment = Deployment(int(w3.eth.chain_id))
    deployment.add("CaseApprovals", book.approvals.address, 0)
    deployment.add("AttestationRegistry", book.attestations.address, 0)
    deployment.add("DepartmentRegistry", departments.address, 0)
    deployment.add("RuleRegistry", book.rules.address, 0)
    return Connection(w3, "", int(w3.eth.chain_id), tmp_path, deployment=deployment)


def _sdk(book: Rulebook, departments: Any, tmp_path: Path) -> CaseDeciders:
    """The SDK's reader over the test devnet's contracts."""
    return CaseDeciders(_connection(book, departments, tmp_path))


# --- the probe (review s27 C-1), now a regression test -----------------------------------------


def test_a_compromised_approvers_case_attestation_decides_no_rule(
    book: Rulebook, approvals: Any, departments: Any, council: Any, depts: Any, facts: Any,
    citizens: Any, tmp_path: Path,
) -> None:  # fmt: skip
    civil, bob = depts["CIVIL"], citizens[1]
    stolen = civil.approvers[0]
    case_id, by_case = _signed_case(book, [("CIVIL", 1)], [[stolen]], bob, facts)
    assert by_case.attester == approvals.address
    assert bytes(approvals.decidersHash(case_id)) == fold([stolen.address])
    rid, reqs = _follow_up(book, depts, facts)
    since = _mark(departments, council, stolen)
    entries = _sdk(book, departments, tmp_path).entries([by_case])
    assert entries == [(case_id, [stolen.address])]
    terms = book.rule_terms([rid], bob)
    with ape.reverts(
        approvals.RuleDeciderCompromised, uid=by_case.uid, decider=stolen.address, since=since
    ):
        approvals.openCaseByRule(
            terms.as_tuple(), [proof(reqs, [by_case], entries)], sender=civil.staff
        )
    assert approvals.caseOf(terms.case_id()).status == CaseStatus.NONE


def test_an_honest_case_attestation_still_decides_and_passes_its_deciders_on(
    book: Rulebook, approvals: Any, depts: Any, facts: Any, citizens: Any, departments: Any,
    tmp_path: Path,
) -> None:  # fmt: skip
    civil, bob = depts["CIVIL"], citizens[2]
    a0, a1 = civil.approvers[0], civil.approvers[1]
    case_id, by_case = _signed_case(book, [("CIVIL", 2)], [[a0, a1]], bob, facts)
    ordered = sorted([a0.address, a1.address], key=lambda a: int(a, 16))
    assert bytes(approvals.decidersHash(case_id)) == fold(ordered)
    rid, reqs = _follow_up(book, depts, facts)
    # a rule case that issues nothing decides and stores nothing
    terms, _ = _decide_follow_up(book, rid, reqs, bob, by_case, [(case_id, ordered)])
    assert approvals.caseOf(terms.case_id()).status == CaseStatus.APPROVED
    assert bytes(approvals.decidersHash(terms.case_id())) == b"\0" * 32
    # the SDK rebuilds the list from the events, checked against decidersHash
    assert _sdk(book, departments, tmp_path).entries([by_case]) == [(case_id, ordered)]


# --- the proof's entries: missing, extra, mismatching --------------------------------------


def test_a_case_attestation_without_its_deciders_entry_is_refused(
    book: Rulebook, approvals: Any, depts: Any, facts: Any, citizens: Any,
) -> None:  # fmt: skip
    bob = citizens[3]
    _case_id, by_case = _signed_case(
        book, [("CIVIL", 1)], [[depts["CIVIL"].approvers[1]]], bob, facts
    )
    rid, reqs = _follow_up(book, depts, facts)
    terms = book.rule_terms([rid], bob)
    with ape.reverts(approvals.RuleCaseDecidersMissing, uid=by_case.uid):
        approvals.openCaseByRule(
            terms.as_tuple(), [proof(reqs, [by_case])], sender=depts["CIVIL"].staff
        )


def test_an_entry_for_evidence_a_key_attested_is_refused_as_extra(
    book: Rulebook, approvals: Any, depts: Any, facts: Any, citizens: Any,
) -> None:  # fmt: skip
    bob, civil = citizens[4], depts["CIVIL"]
    # the allowance attested by an approver's own key: no entry is owed for it
    receipt = book.attestations.attest(
        bob.address, facts["allowance"], b"\x03" * 32, 0, b"\0" * 32, sender=civil.approvers[2]
    )
    direct = _issued(book, receipt)
    rid, reqs = _follow_up(book, depts, facts)
    terms = book.rule_terms([rid], bob)
    bogus = [(b"\x01" * 32, [civil.approvers[2].address])]
    with ape.reverts(approvals.RuleCaseDecidersExtra, given=1, used=0):
        approvals.openCaseByRule(
            terms.as_tuple(), [proof(reqs, [direct], bogus)], sender=civil.staff
        )
    terms, _ = _decide_follow_up(book, rid, reqs, bob, direct, [])
    assert approvals.caseOf(terms.case_id()).status == CaseStatus.APPROVED


@pytest.mark.parametrize("wrong", ["deciders", "fewer", "case"])
def test_a_mismatching_entry_is_refused(
    wrong: str, book: Rulebook, approvals: Any, depts: Any, facts: Any, citizens: Any,
) -> None:  # fmt: skip
    bob, civil = citizens[5], depts["CIVIL"]
    a0, a1 = civil.approvers[0], civil.approvers[1]
    case_id, by_case = _signed_case(book, [("CIVIL", 2)], [[a0, a1]], bob, facts)
    ordered = sorted([a0.address, a1.address], key=lambda a: int(a, 16))
    named, keys = case_id, ordered
    if wrong == "deciders":
        keys = [civil.approvers[2].address, *ordered[1:]]  # an honest key for a marked one
    elif wrong == "fewer":
        keys = ordered[1:]
    else:  # another approved case, with its own true deciders
        named, _other = _signed_case(book, [("CIVIL", 1)], [[a0]], bob, facts, b"\x06" * 32)
        keys = [a0.address]
    rid, reqs = _follow_up(book, depts, facts)
    terms = book.rule_terms([rid], bob)
    with ape.reverts(approvals.RuleCaseDecidersMismatch, uid=by_case.uid, caseId=named):
        approvals.openCaseByRule(
            terms.as_tuple(), [proof(reqs, [by_case], [(named, keys)])], sender=civil.staff
        )


# --- every way a key decides ------------------------------------------------------------------


def test_a_decider_of_an_earlier_step_of_a_multi_step_case_is_caught(
    book: Rulebook, approvals: Any, departments: Any, council: Any, depts: Any, facts: Any,
    citizens: Any, tmp_path: Path,
) -> None:  # fmt: skip
    bob = citizens[6]
    early, late = depts["PSB"].approvers[0], depts["CIVIL"].approvers[0]
    case_id, by_case = _signed_case(book, [("PSB", 1), ("CIVIL", 1)], [[early], [late]], bob, facts)
    keys = [early.address, late.address]
    assert bytes(approvals.decidersHash(case_id)) == fold(keys)
    assert _sdk(book, departments, tmp_path).entries([by_case]) == [(case_id, keys)]
    rid, reqs = _follow_up(book, depts, facts)
    since = _mark(departments, council, early)
    terms = book.rule_terms([rid], bob)
    with ape.reverts(
        approvals.RuleDeciderCompromised, uid=by_case.uid, decider=early.address, since=since
    ):
        approvals.openCaseByRule(
            terms.as_tuple(),
            [proof(reqs, [by_case], [(case_id, keys)])],
            sender=depts["CIVIL"].staff,
        )


def test_a_voter_who_decided_a_step_on_chain_is_caught(
    book: Rulebook, approvals: Any, departments: Any, council: Any, depts: Any, facts: Any,
    citizens: Any, tmp_path: Path,
) -> None:  # fmt: skip
    bob, civil = citizens[7], depts["CIVIL"]
    first, second = civil.approvers[1], civil.approvers[2]
    terms = book.desk.terms([("CIVIL", 2)], citizen=bob, schema=facts["allowance"])
    case_id = book.desk.open(terms)
    approvals.decide(case_id, terms.as_tuple(), True, b"\0" * 32, sender=first)
    receipt = approvals.decide(case_id, terms.as_tuple(), True, b"\0" * 32, sender=second)
    by_case = _issued(book, receipt)
    counted = [second.address, first.address]  # the vote that decides, then the earlier ones
    assert bytes(approvals.decidersHash(case_id)) == fold(counted)
    assert _sdk(book, departments, tmp_path).entries([by_case]) == [(case_id, counted)]
    rid, reqs = _follow_up(book, depts, facts)
    since = _mark(departments, council, first)
    rule_case = book.rule_terms([rid], bob)
    with ape.reverts(
        approvals.RuleDeciderCompromised, uid=by_case.uid, decider=first.address, since=since
    ):
        approvals.openCaseByRule(
            rule_case.as_tuple(), [proof(reqs, [by_case], [(case_id, counted)])], sender=civil.staff
        )


def test_a_benefit_a_rule_case_issued_on_a_marked_keys_attestations_decides_no_rule(
    book: Rulebook, approvals: Any, departments: Any, council: Any, depts: Any, facts: Any,
    citizens: Any, tmp_path: Path,
) -> None:  # fmt: skip
    """The second route, transitively: K's direct attestation decides a RULE case that issues
    the allowance (attested by CaseApprovals); that allowance decides a second RULE case that
    issues a follow-up benefit; after K is marked, neither benefit decides a rule."""
    bob, civil = citizens[8], depts["CIVIL"]
    book.register("CIVIL", "elderly", elderly_rule(depts, facts))
    elderly = rule_id(civil.code, name_code("elderly"))
    book.register_service("CIVIL", "allowance", elderly, facts["allowance"], valid_for=YEAR)
    facts_of_bob = [
        book.attest("PSB", bob, facts["age"]),
        book.attest("CIVIL", bob, facts["residence"]),
        book.attest("HRSS", bob, facts["low_income"]),
    ]
    stolen = depts["HRSS"].staff  # the key behind the income fact
    terms = book.rule_terms([elderly], bob, schema=facts["allowance"])
    receipt = approvals.openCaseByRule(
        terms.as_tuple(), [proof(elderly_rule(depts, facts), facts_of_bob)], sender=civil.staff
    )
    allowance = _issued(book, receipt)
    attesters = [e.attester for e in facts_of_bob]
    assert bytes(approvals.decidersHash(terms.case_id())) == fold(attesters)

    # a second benefit (another APPROVER schema), decided by the allowance alone: its case's
    # deciders are the allowance's, flattened
    followup = register_schema(
        book.attestations, depts["BDB"].admin, "FollowUp(bytes32 caseId)", ROLE_APPROVER, ZERO32
    )
    rid, reqs = _follow_up(book, depts, facts)
    book.register_service("CIVIL", "follow-up", rid, followup, valid_for=YEAR)
    second, receipt = _decide_follow_up(
        book, rid, reqs, bob, allowance, [(terms.case_id(), attesters)], schema=followup
    )
    assert approvals.caseOf(second.case_id()).status == CaseStatus.APPROVED
    benefit = _issued(book, receipt)
    assert bytes(approvals.decidersHash(second.case_id())) == fold(attesters)
    renewal = [Requirement(followup, YEAR, (civil.code,))]
    book.register("CIVIL", "renewal", renewal)
    renewal_id = rule_id(civil.code, name_code("renewal"))

    since = _mark(departments, council, stolen)
    sdk = _sdk(book, departments, tmp_path)
    assert sdk.entries([benefit]) == [(second.case_id(), attesters)]
    assert sdk.compromised(benefit) == stolen.address
    # the allowance, and the benefit decided on it, decide no rule any more
    for ev, case_id, rule, needs in (
        (allowance, terms.case_id(), rid, reqs),
        (benefit, second.case_id(), renewal_id, renewal),
    ):
        follow = book.rule_terms([rule], bob, documents=ev.uid)
        with ape.reverts(
            approvals.RuleDeciderCompromised, uid=ev.uid, decider=stolen.address, since=since
        ):
            approvals.openCaseByRule(
                follow.as_tuple(),
                [proof(needs, [ev], [(case_id, attesters)])],
                sender=civil.staff,
            )


def test_the_sdk_names_a_case_attestations_deciders_in_every_proof_it_builds(
    book: Rulebook, approvals: Any, departments: Any, council: Any, depts: Any, facts: Any,
    citizens: Any, tmp_path: Path,
) -> None:  # fmt: skip
    """``Rulebook.proof_for`` (behind ``open_by_rule``, ``accept`` and ``decide``) names the
    case and its deciders; once a decider is marked, ``Rulebook.evidence`` passes the
    attestation over (no proof the chain would refuse)."""
    civil, bob = depts["CIVIL"], citizens[9]
    key = civil.approvers[2]
    case_id, by_case = _signed_case(book, [("CIVIL", 1)], [[key]], bob, facts)
    rid, reqs = _follow_up(book, depts, facts)
    w3 = book.chain.provider.web3
    relayer = Sender(w3, Account.from_key(civil.staff.private_key))
    sdk = SdkRulebook(_connection(book, departments, tmp_path), relayer)
    assert sdk.proof_for(rid, bob.address) == proof(reqs, [by_case], [(case_id, [key.address])])
    opened, _receipt = sdk.open_by_rule(bob.address, [rid], civil.code)
    assert approvals.caseOf(opened).status == CaseStatus.APPROVED

    _mark(departments, council, key)
    with pytest.raises(NotFound, match="no valid one"):
        sdk.evidence(bob.address, reqs)
