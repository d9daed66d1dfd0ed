"""Review s28 D-1, the probe inverted: a revoked uid is not issued again in the same block, so
a proof cannot name a clean case for an attestation a compromised key's case issued.

An attestation's uid is ``keccak256(schema, subject, attester, department, dataHash, expiry,
refUID, block.timestamp)``: no case id. ``revoke`` used to delete the record, so in one block
case A (a clean approver) issued U, U was revoked, and case B (key K alone, same documents)
issued U again; after the council marked K, a proof naming A's clean decider decided a rule
with K's U. Revocation now leaves a tombstone: case B's issuing reverts
``AttestationAlreadyExists(U)`` (the case stays undecided), U stays revoked, and a proof
naming case A is refused ``RuleAttestationNotFound``. Each uid has one issuing case.
"""

# ruff: noqa: F811  (fixtures imported for pytest are parameters of the tests here)
from __future__ import annotations

from typing import Any

import ape
from eth_abi.abi import encode
from eth_utils.crypto import keccak

from govchain.approval import CaseStatus
from govchain.services.deciders import fold
from govchain.services.rules import Evidence, Requirement, name_code, proof, rule_id
from tests.approval.conftest import (  # noqa: F401 (fixtures)
    approvals,
    attestations,
    citizen_registry,
    desk,
    register_schema,
    rule_registry,
)
from tests.services.conftest import (  # noqa: F401 (fixtures)
    DAY,
    YEAR,
    Rulebook,
    book,
    elderly_rule,
    facts,
)

ZERO32 = b"\0" * 32
ALREADY_EXISTS = bytes(keccak(text="AttestationAlreadyExists(bytes32)"))[:4]


def _rpc(w3: Any, method: str, *params: Any) -> Any:
    answer = w3.provider.make_request(method, list(params))
    assert "error" not in answer, answer
    return answer.get("result")


def test_d1_a_revoked_uid_is_not_reissued_so_no_proof_names_a_clean_case(
    book: Rulebook, approvals: Any, attestations: Any, departments: Any, council: Any,
    depts: Any, facts: Any, citizens: Any, chain: Any,
) -> None:  # fmt: skip
    civil, bob = depts["CIVIL"], citizens[7]
    clean, stolen, relayer = civil.approvers[0], civil.approvers[1], civil.approvers[2]
    desk = book.desk
    documents = bytes(keccak(text="same documents"))
    now = book.now()
    # two cases with the same documents, schema and citizen (different deadlines: two ids)
    terms_a = desk.terms([("CIVIL", 1, now + DAY)], citizen=bob, schema=facts["allowance"],
                         documents=documents)  # fmt: skip
    terms_b = desk.terms([("CIVIL", 1, now + 2 * DAY)], citizen=bob, schema=facts["allowance"],
                         documents=documents)  # fmt: skip
    case_a, case_b = desk.open(terms_a), desk.open(terms_b)
    decision_a = desk.step_decision(case_a, 0, [clean])
    decision_b = desk.step_decision(case_b, 0, [stolen])

    w3 = chain.provider.web3
    when = int(w3.eth.get_block("latest")["timestamp"]) + 60
    uid = bytes(
        keccak(
            encode(
                ["bytes32", "address", "address", "bytes32", "bytes32", "uint64", "bytes32",
                 "uint256"],
                [facts["allowance"], bob.address, approvals.address, civil.code, documents, 0,
                 ZERO32, when],
            )
        )
    )  # fmt: skip
    calls = [
        (approvals, approvals.submitDecisions.encode_input(case_a, terms_a.as_tuple(),
                                                           [decision_a])),
        (attestations, attestations.revoke.encode_input(uid)),
        (approvals, approvals.submitDecisions.encode_input(case_b, terms_b.as_tuple(),
                                                           [decision_b])),
    ]  # fmt: skip
    _rpc(w3, "evm_setAutomine", False)
    try:
        sent = [
            w3.eth.send_transaction(
                {"from": relayer.address, "to": c.address, "data": data, "gas": 1_500_000}
            )
            for c, data in calls
        ]
        _rpc(w3, "evm_setNextBlockTimestamp", when)
        _rpc(w3, "evm_mine")
    finally:
        _rpc(w3, "evm_setAutomine", True)
    receipts = [w3.eth.get_transaction_receipt(h) for h in sent]
    assert [r["status"] for r in receipts] == [1, 1, 0]  # case B's issuing of U is refused
    assert len({r["blockNumber"] for r in receipts}) == 1  # one block, one timestamp
    replay = w3.provider.make_request(
        "eth_call",
        [{"from": relayer.address, "to": approvals.address, "data": calls[2][1]},
         hex(receipts[0]["blockNumber"])],
    )  # fmt: skip
    assert bytes.fromhex(replay["error"]["data"].removeprefix("0x")) == ALREADY_EXISTS + uid

    # case A alone has outcome U; U stays revoked; case B is not decided
    assert approvals.caseOf(case_a).status == CaseStatus.APPROVED
    assert bytes(approvals.caseOf(case_a).outcome) == uid
    assert approvals.caseOf(case_b).status != CaseStatus.APPROVED
    assert bytes(approvals.caseOf(case_b).outcome) == ZERO32
    assert not attestations.isValid(uid)
    assert bytes(approvals.decidersHash(case_a)) == fold([clean.address])

    # the council marks K: no proof holding U decides a rule, whichever case it names
    departments.markCompromised(stolen, sender=council)
    reqs = [Requirement(facts["allowance"], YEAR, (civil.code,))]
    book.register("CIVIL", "holds-allowance", reqs, signers=[clean, relayer])
    rid = rule_id(civil.code, name_code("holds-allowance"))
    ev = Evidence(facts["allowance"], bob.address, approvals.address, civil.code, documents, 0,
                  ZERO32, when)  # fmt: skip
    assert ev.uid == uid
    laundered = book.rule_terms([rid], bob, documents=bytes(keccak(text="laundered")))
    with ape.reverts(approvals.RuleAttestationNotFound, uid=uid):
        approvals.openCaseByRule(
            laundered.as_tuple(), [proof(reqs, [ev], [(case_a, [clean.address])])],
            sender=civil.staff,
        )  # fmt: skip
