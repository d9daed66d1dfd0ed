"""Gas of objections (PIPL art. 46): filing, the k-of-n decision (2 approvers' EIP-712
signatures, each re-checked as an active APPROVER of the Active owner at submission) and
withdrawal.

Run: ``python -m govchain.toolchain.testrun benchmarks/bench_objections.py`` → writes
``benchmarks/results/gas_objections.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.bench_approval import _row
from govchain.sharing import SharingClass
from tests.identity.conftest import SCHEMAS
from tests.services.objections.conftest import (
    CATEGORY,
    DAY,
    RECORD,
    SCHEMA_FOR_CATEGORY,
    SIGNATURES,
    anchor,
    attest,
    commitment,
    file_attestation,
    reject,
    uphold,
)

OUT = Path(__file__).resolve().parent / "results" / "gas_objections.json"


def test_gas_of_objections(
    project: Any,
    deployer: Any,
    departments: Any,
    depts: Any,
    citizens: Any,
    attestations: Any,
    schemas: Any,
    citizen_registry: Any,
) -> None:
    psb = depts["PSB"]
    anchors = project.AnchorRegistry.deploy(departments, sender=deployer)
    anchors.registerCategory(
        CATEGORY, int(SharingClass.CONDITIONAL), False, SCHEMA_FOR_CATEGORY, 30 * DAY,
        sender=psb.admin,
    )  # fmt: skip
    objections = project.ObjectionRegistry.deploy(
        departments, citizen_registry, attestations, anchors, SIGNATURES, sender=deployer
    )
    schema = SCHEMAS["real_name"].uid
    alice, bob = citizens[0], citizens[1]
    rows: list[dict[str, Any]] = []

    fact = attest(attestations, psb.staff, alice, schema, salt=b"\x11" * 32)
    r = objections.fileAttestationObjection(alice, fact.ref(), commitment("a"), sender=alice)
    rows.append(
        _row(r, "fileAttestationObjection (uid recomputed from the Attested fields)", new=3)
    )
    first = bytes(next(iter(r.decode_logs(objections.ObjectionFiled))).id)

    anchor(anchors, psb.staff, 1)
    r = objections.fileRecordObjection(alice, CATEGORY, RECORD, commitment("b"), sender=alice)
    rows.append(_row(r, "fileRecordObjection (latest single anchor)", new=5))
    record = bytes(next(iter(r.decode_logs(objections.ObjectionFiled))).id)

    r = reject(objections, psb.approvers[:2], first, commitment("the data is right"))
    rows.append(
        _row(
            r,
            f"reject, {SIGNATURES} approvers' signatures",
            updated=1,
            signatures=SIGNATURES,
            note="signer-naming EIP-712 digests, ascending signers, one activeMembersPrefix call",
        )
    )
    anchor(anchors, psb.staff, 2)
    r = uphold(objections, psb.approvers[1:3], record, 2)
    rows.append(
        _row(
            r,
            f"uphold a record objection (links v2), {SIGNATURES} approvers' signatures",
            updated=2,
            signatures=SIGNATURES,
        )
    )
    fact2 = attest(attestations, psb.staff, bob, schema, salt=b"\x12" * 32)
    second = file_attestation(objections, bob, bob, fact2)
    attestations.revoke(fact2.uid, sender=psb.approvers[0])
    r = uphold(objections, [psb.approvers[0], psb.approvers[2]], second, 0)
    rows.append(
        _row(
            r,
            f"uphold an attestation objection (revoked), {SIGNATURES} approvers' signatures",
            updated=1,
            signatures=SIGNATURES,
        )
    )
    fact3 = attest(attestations, psb.staff, bob, schema, salt=b"\x13" * 32)
    third = file_attestation(objections, bob, bob, fact3)
    r = objections.withdraw(third, sender=bob)
    rows.append(_row(r, "withdraw", updated=1))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(rows, indent=2) + "\n")
    for row in rows:
        print(f"{row['operation']}: {row['gas']:,}")
