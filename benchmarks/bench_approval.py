"""Gas of CaseApprovals: opening cases, co-signed step decisions (1..5 signatures), on-chain
votes, withdrawal and expiry, against the first-principles floor and Safe 1.5.0; and a step
decided by the official Safe 1.4.1 (2-of-3 owners) as the APPROVER, through ERC-1271.

Run: ``python -m govchain.toolchain.testrun benchmarks/bench_approval.py`` → writes
``benchmarks/results/gas_approval.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_utils.crypto import keccak

from benchmarks.gasfloor import floor, logs_of
from benchmarks.gastable import traced_counts
from govchain.approval.access import decision_access_list
from govchain.approval.decisions import sign_decision
from govchain.approval.messages import SignerSignature, pack_signatures
from govchain.safe import OwnerSignature, combine_owner_signatures
from govchain.toolchain.safe import SafeDeployment
from govchain.tx import Sender
from tests.approval.conftest import HOUR, Desk, h
from tests.helpers import ROLE_APPROVER, enrol

OUT = Path(__file__).resolve().parent / "results" / "gas_approval.json"

# Safe 1.5.0 execTransaction on this toolchain, measured by benchmarks/bench_safe.py
# (results/gas_safe.json): one signature at nonce 1, and the second signature's cost
SAFE_ONE_SIGNATURE = 48_994
SAFE_PER_EXTRA = 7_048
# issue 20's goal for one more signature
PER_EXTRA_TARGET = 6_870
OPEN_3_TARGET = 120_000


def _row(
    receipt: Any,
    operation: str,
    *,
    new: int = 0,
    updated: int = 0,
    signatures: int = 0,
    target: int | None = None,
    reference: int | None = None,
    note: str = "",
) -> dict[str, Any]:
    new, updated = traced_counts(operation, receipt, new, updated)
    raw_logs = [{"topics": list(log["topics"]), "data": log["data"]} for log in receipt.logs]
    fl = floor(bytes(receipt.transaction.data), new, updated, logs_of(raw_logs), signatures).total
    gas = int(receipt.gas_used)
    return {
        "operation": operation,
        "gas": gas,
        "floor": fl,
        "ratio": round(gas / fl, 2),
        "target": target,
        "reference": reference,
        "new_slots": new,
        "updated_slots": updated,
        "signatures": signatures,
        "note": note,
    }


def test_gas_of_approvals(
    approvals: Any,
    desk: Desk,
    depts: Any,
    citizens: Any,
    outsider: Any,
    departments: Any,
    schemas: Any,
    accounts: Any,
    chain: Any,
    safe_contracts: SafeDeployment,
    relayer: Sender,
) -> None:
    rows: list[dict[str, Any]] = []
    staff = depts["CIVIL"].staff
    route5 = [("CIVIL", 1), ("PSB", 1), ("DPF", 2), ("HRSS", 2), ("FINANCE", 1)]

    # --- opening: first case ever, then repeats; 1, 3, 5 steps ---------------------------------
    for n in (1, 3, 5):
        for rep in ("first", "repeat") if n == 1 else ("repeat",):
            terms = desk.terms(route5[:n], citizen=citizens[0], documents=h(f"open {n} {rep}"))
            r = approvals.openCase(terms.as_tuple(), sender=staff)
            rows.append(
                _row(
                    r,
                    f"openCase, {n}-step route ({rep})",
                    new=2,
                    target=OPEN_3_TARGET if n == 3 else None,
                    note="2 new slots whatever the route (no case counter, so first = repeat); the terms are hashed into the id and emitted",
                )
            )
    terms = desk.terms(route5[:3], citizen=citizens[0], schema=schemas["subsidy"], documents=h("s"))
    r = approvals.openCase(terms.as_tuple(), sender=staff)
    rows.append(
        _row(
            r,
            "openCase, 3-step route naming an attestation schema",
            new=2,
            target=OPEN_3_TARGET,
            note="+ IAttestationRegistry.canAttest (cold account and slot)",
        )
    )

    # --- a step with 1..5 signatures (HRSS gets two more approvers) ---------------------------
    hrss = depts["HRSS"]
    for extra in (accounts[57], accounts[58]):
        enrol(departments, hrss.admin, extra, ROLE_APPROVER)
    five = [*hrss.approvers, accounts[57], accounts[58]]
    by_k: dict[int, int] = {}
    cold_k: dict[int, int] = {}
    for k in range(1, 6):
        terms = desk.terms([("HRSS", k), ("FINANCE", 1)], citizen=citizens[0], documents=h(f"k{k}"))
        cid = desk.open(terms)
        decision_ = desk.step_decision(cid, 0, five[:k])
        # as the SDK sends it (Cases.submit): with the access list of the registry slots the
        # signers' check reads; the same transaction data without it, for comparison
        listed = decision_access_list(
            departments.address, [(hrss.code, [a.address for a in five[:k]])]
        )
        with chain.isolate():
            cold_k[k] = int(desk.submit(cid, terms, [decision_], sender=outsider).gas_used)
        r = desk.submit(cid, terms, [decision_], sender=outsider, access_list=listed)
        by_k[k] = int(r.gas_used)
        rows.append(
            _row(
                r,
                f"submitDecisions, one step, {k} signature{'s' if k > 1 else ''}",
                updated=1,
                signatures=k,
                reference=SAFE_ONE_SIGNATURE + (k - 1) * SAFE_PER_EXTRA,
                note="as the SDK sends it (EIP-2930 access list: the registry, the department's "
                "status and each signer's member slot); Safe 1.5.0 execTransaction with as many "
                "signatures as reference",
            )
        )
    per_extra = round((by_k[5] - by_k[1]) / 4)
    # Safe's encoding: a 65 B entry r || s || v naming no signer, one digest per decision; the
    # member slot listed (1,900 + a warm read 100); the signer's word in StepDecided
    per_extra_floor = 16 * 65 + 3_000 + 1_900 + 100 + 8 * 32
    rows.append(
        {
            "operation": "submitDecisions, per extra signature ((5 sigs - 1 sig) / 4)",
            "gas": per_extra,
            "floor": per_extra_floor,
            "ratio": round(per_extra / per_extra_floor, 2),
            "target": PER_EXTRA_TARGET,
            "reference": SAFE_PER_EXTRA,
            "note": (
                f"{'MISSED by ' + format(per_extra - PER_EXTRA_TARGET, ',') if per_extra > PER_EXTRA_TARGET else 'met'} "
                f"(target {PER_EXTRA_TARGET:,}; Safe 1.5.0 measured {SAFE_PER_EXTRA:,}). Per signer "
                "(opcode trace, benchmarks/opcodetrace.py, docs/gas.md): the 65 B entry r || s || v "
                "~1,036 calldata + ecrecover 3,100 (precompile 3,000 + the call) + the member slot "
                "2,000 (listed in the SDK's access list 1,900, then read warm 100, in the one "
                "IDepartmentRegistry.activeMembersPrefix call) + the signer's word in "
                "StepDecided 256 = 6,392; the rest is OpenZeppelin ECDSA.tryRecover's frame around "
                "the precompile (~340), the loop over entries, the registry's loop (keccak of the "
                "member slot) and memory"
            ),
        }
    )
    rows.append(
        {
            "operation": "submitDecisions, per extra signature, without the access list",
            "gas": round((cold_k[5] - cold_k[1]) / 4),
            "floor": per_extra_floor + 100,
            "ratio": round((cold_k[5] - cold_k[1]) / 4 / (per_extra_floor + 100), 2),
            "target": None,
            "reference": SAFE_PER_EXTRA,
            "note": "the same transactions sent without an access list: the member slot read cold "
            "(2,100)",
        }
    )

    # --- the last step, issuing an attestation; several steps at once -------------------------
    terms = desk.terms(
        [("CIVIL", 1), ("DPF", 2), ("FINANCE", 1)],
        citizen=citizens[0],
        schema=schemas["subsidy"],
        documents=h("attest"),
    )
    cid = desk.open(terms)
    desk.submit(cid, terms, [desk.step_decision(cid, 0, depts["CIVIL"].approvers[:1])], outsider)
    desk.submit(cid, terms, [desk.step_decision(cid, 1, depts["DPF"].approvers[:2])], outsider)
    r = desk.submit(
        cid, terms, [desk.step_decision(cid, 2, depts["FINANCE"].approvers[:1])], outsider
    )
    rows.append(
        _row(
            r,
            "submitDecisions, last step, 1 signature, issues the attestation",
            new=2,
            updated=1,
            signatures=1,
            note="+ AttestationRegistry.attestFromApproval (its record slot)",
        )
    )
    terms = desk.terms(route5, citizen=citizens[0], documents=h("batch"))
    cid = desk.open(terms)
    decisions = [
        desk.step_decision(cid, i, depts[name].approvers[:k]) for i, (name, k) in enumerate(route5)
    ]
    r = desk.submit(cid, terms, decisions, sender=outsider)
    rows.append(
        _row(
            r,
            "submitDecisions, 5 steps in one transaction (7 signatures)",
            new=0,
            updated=1,
            signatures=7,
            note="case closes Approved, no schema",
        )
    )
    terms = desk.terms([("DPF", 1), ("FINANCE", 1)], citizen=citizens[0], documents=h("rej"))
    cid = desk.open(terms)
    d = desk.step_decision(cid, 0, depts["DPF"].approvers[:1], approve=False, comment=h("no"))
    r = desk.submit(cid, terms, [d], sender=outsider)
    rows.append(_row(r, "submitDecisions, rejection, 1 signature", new=1, updated=1, signatures=1))

    # --- on-chain votes -----------------------------------------------------------------------
    terms = desk.terms([("DPF", 2), ("FINANCE", 1)], citizen=citizens[0], documents=h("vote"))
    cid = desk.open(terms)
    a, b, _ = depts["DPF"].approvers
    r = approvals.decide(cid, terms.as_tuple(), True, h("y"), sender=a)
    rows.append(_row(r, "decide (on-chain vote), not yet deciding", new=1, updated=1))
    r = approvals.decide(cid, terms.as_tuple(), True, h("y"), sender=b)
    rows.append(_row(r, "decide (on-chain vote), k-th vote advances the step", new=1, updated=1))

    # --- withdraw and expire ------------------------------------------------------------------
    terms = desk.terms([("DPF", 1)], citizen=citizens[0], documents=h("w"))
    cid = desk.open(terms)
    r = approvals.withdraw(cid, terms.as_tuple(), h("reason"), sender=staff)
    rows.append(_row(r, "withdraw by the opener", new=1, updated=1))
    terms = desk.terms([("DPF", 1, desk.now() + HOUR)], citizen=citizens[0], documents=h("e"))
    cid = desk.open(terms)
    chain.pending_timestamp += 2 * HOUR
    r = approvals.expire(cid, terms.as_tuple(), sender=outsider)
    rows.append(_row(r, "expire", updated=1))

    rows += _safe_rows(desk, depts, departments, citizens, outsider, safe_contracts, relayer)

    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(rows, indent=2) + "\n")
    for row in rows:
        print(f"{row['operation']:<70} {row['gas']:>9,} floor {row['floor']:>9,}")
    open3 = next(r for r in rows if r["operation"].startswith("openCase, 3-step route (repeat"))
    assert open3["gas"] <= OPEN_3_TARGET


def _safe_rows(
    desk: Desk,
    depts: Any,
    departments: Any,
    citizens: Any,
    outsider: Any,
    safe_contracts: SafeDeployment,
    relayer: Sender,
) -> list[dict[str, Any]]:
    """A 2-of-3 Safe 1.4.1 (npm artifacts, CompatibilityFallbackHandler) made an HRSS APPROVER:
    a step decided by it alone, and by it next to an ordinary key."""
    owners = [Account.from_key(keccak(text=f"bench safe owner {i}")) for i in range(3)]
    safe = safe_contracts.create(relayer, [o.address for o in owners], 2)
    hrss = depts["HRSS"]
    departments.addMember(safe.address, ROLE_APPROVER, sender=hrss.admin)
    accept = bytes(departments.acceptMembership.encode_input(hrss.code))
    safe.execute(relayer, owners[:2], departments.address, accept)
    rows = []
    for k, note in (
        (1, "the Safe alone: its entry (65 B) + 2 owners' 65 B signatures; Safe's checkSignatures "
            "through the fallback handler (ERC-1271)"),
        (2, "the Safe and one key: compare 'one step, 2 signatures' (two keys)"),
    ):  # fmt: skip
        terms = desk.terms(
            [("HRSS", k), ("FINANCE", 1)], citizen=citizens[0], documents=h(f"safe{k}")
        )
        cid = desk.open(terms)
        deadline = desk.now() + HOUR
        parts = [
            sign_decision(o, desk.domain, cid, 0, True, h("ok"), deadline, safe=safe.address)
            for o in owners[:2]
        ]
        joined = combine_owner_signatures(OwnerSignature(o.address, p.signature)
                                          for o, p in zip(owners[:2], parts, strict=True))  # fmt: skip
        entries = [SignerSignature(safe.address, joined, contract=True)]
        entries += [desk.sign(a, cid, 0, deadline=deadline) for a in hrss.approvers[: k - 1]]
        decision_ = desk.step_decision(
            cid, 0, [], deadline=deadline, packed=pack_signatures(entries)
        )
        r = desk.submit(cid, terms, [decision_], sender=outsider)
        rows.append(
            _row(
                r,
                f"submitDecisions, one step, a Safe 2-of-3 signer{' + 1 key' if k == 2 else ''}",
                updated=1,
                signatures=k + 1,
                note=note,
            )
        )
    return rows
