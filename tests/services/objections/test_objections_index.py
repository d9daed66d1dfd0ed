"""ObjectionRegistry events in the index: filed, upheld, rejected and withdrawn objections are
synced and read back with the state the contract's ``state`` view gives, overdue included, by
subject and by deciding department; a sync after more events adds exactly those."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from govchain.indexer import Indexer, RpcLogSource, open_database
from govchain.indexer.abi import load_abis
from govchain.indexer.objections import objections_from_index, overdue_from_index
from govchain.indexer.sync import WatchedContract
from tests.helpers import code
from tests.services.objections.conftest import (
    DAY,
    NONE,
    OPEN,
    OVERDUE,
    REJECTED,
    UPHELD,
    WITHDRAWN,
    anchor,
    attest,
    commitment,
    file_attestation,
    file_record,
    reject,
    uphold,
)

PSB, HRSS = code("PSB"), code("HRSS")
LABEL = {OPEN: "open", OVERDUE: "overdue", UPHELD: "upheld", REJECTED: "rejected"}
LABEL[WITHDRAWN] = "withdrawn"


def _indexer(tmp_path: Path, chain: Any, objections: Any) -> tuple[Any, Indexer]:
    engine = open_database(tmp_path / "index.db")
    watched = [
        WatchedContract(
            "ObjectionRegistry",
            objections.address,
            load_abis(["ObjectionRegistry"])["ObjectionRegistry"],
            int(objections.creation_metadata.block),
        )
    ]
    return engine, Indexer(engine, RpcLogSource(str(chain.provider.uri)), watched)


def test_index_follows_objections_and_agrees_with_the_contract(
    tmp_path: Path,
    chain: Any,
    objections: Any,
    attestations: Any,
    anchors: Any,
    schemas: Any,
    depts: Any,
    citizens: list[Any],
) -> None:
    psb = depts["PSB"]
    alice, bob = citizens[0], citizens[1]
    facts = [
        attest(attestations, psb.staff, who, schemas["real_name"], salt=bytes([i + 1]) * 32)
        for i, who in enumerate([alice, alice, bob, bob])
    ]
    upheld = file_attestation(objections, alice, alice, facts[0])
    attestations.revoke(facts[0].uid, sender=psb.approvers[0])
    uphold(objections, psb.approvers[:2], upheld, 0)
    rejected = file_attestation(objections, alice, alice, facts[1])
    reject(objections, psb.approvers[1:3], rejected, commitment("the data is right"))
    withdrawn = file_attestation(objections, bob, bob, facts[2])
    objections.withdraw(withdrawn, sender=bob)
    anchor(anchors, psb.staff, 1)
    pending = file_record(objections, bob, bob)

    engine, indexer = _indexer(tmp_path, chain, objections)
    report = indexer.sync()
    assert report.caught_up and report.logs >= 7
    now = int(chain.pending_timestamp)

    def states(**kw: Any) -> dict[str, str]:
        return {r.id: r.state for r in objections_from_index(engine, now, **kw)}

    def contract(oid: bytes) -> str:
        return LABEL[int(objections.state(oid))]

    every = [upheld, rejected, withdrawn, pending]
    assert states() == {"0x" + o.hex(): contract(o) for o in every}
    assert set(states(subject=alice.address)) == {"0x" + upheld.hex(), "0x" + rejected.hex()}
    # withdrawals name the subject only: a department's view still sees them closed
    assert states(owner=PSB) == states()
    assert states(owner=HRSS) == {}
    assert overdue_from_index(engine, now) == []

    # time passes; one more objection is filed: the next sync adds exactly its event
    chain.pending_timestamp += 16 * DAY
    chain.mine()
    late = file_attestation(objections, bob, bob, facts[3])
    assert int(objections.state(late)) != NONE
    assert indexer.sync().logs == 1
    now = int(chain.pending_timestamp)
    overdue = overdue_from_index(engine, now, owner=PSB)
    assert (
        [r.id for r in overdue]
        == ["0x" + pending.hex()]
        == ["0x" + o.hex() for o in every if int(objections.state(o)) == OVERDUE]
    )
    assert states()["0x" + late.hex()] == "open" == contract(late)
    engine.dispose()
