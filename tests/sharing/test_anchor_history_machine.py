"""Invariant 1 (append-only record history): per record id, versions are contiguous, each
version has one content, and what a requester accepts is the latest.

A Hypothesis state machine mixes single anchors (the next version, a stale one, a second
content for an existing version, a gap), batch anchors (first versions, a record again, a
leaf claiming version 2), version 2 after a batch (``anchorRecordAfterBatch``), edits of the
store's rows (a forged content the node then delivers) and requester fetches, where the
"node" delivers any candidate it likes - the latest row, an old version, a forged row, a
batch proof - and the requester judges it with the one acceptance rule
(``govchain.sharing.acceptance.accept_record``), with a memory or fresh. Checked after every
step, against a model of the chain:

- the chain's versions of each record are exactly 1..latest, each with the digest first
  written (refused on chain: a second content for a version, a gap);
- an accepted record is the chain's latest single anchor with its digest, or - only while the
  record has no single anchor - a version-1 leaf of an anchored batch;
- a requester with a memory never accepts two contents for one version, nor an older version
  after a newer one;
- two contents accepted for one (record, version) by requesters without a shared memory happen
  only where the chain pins two contents for it (two batches, or a batch and a single
  version 1): exactly the condition under which ``audit tamper`` names the record
  (``reanchored``; end to end in tests/adversarial/test_review_anchors.py).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import ape
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from govchain.sharing import category_code
from govchain.sharing.acceptance import RecordRefused, SeenRecords, accept_record, proof_json
from govchain.sharing.merkle import RecordTree, keccak256, record_leaf
from tests.conftest import hypothesis_examples

EXAMPLES = hypothesis_examples(0.2, levels=1 / 3)  # 20; 200 in "deep", 7 in "levels"
CATEGORY = category_code("HRSS.PENSION")
RECORDS = 3


@dataclass(frozen=True)
class _Anchor:
    digest: bytes
    block_number: int
    timestamp: int


class _ApeReader:
    """The acceptance rule's three reads over the ape contract."""

    def __init__(self, catalog: Any) -> None:
        self.catalog = catalog

    def latest_version(self, category: bytes, record_id: bytes) -> int:
        return int(self.catalog.latestVersion(category, record_id))

    def record_version(self, category: bytes, record_id: bytes, version: int) -> _Anchor:
        digest, block, ts = self.catalog.recordVersion(category, record_id, version)
        return _Anchor(bytes(digest), int(block), int(ts))

    def batch_anchor(self, category: bytes, root: bytes) -> _Anchor:
        _, block, ts = self.catalog.batchAnchor(category, root)
        return _Anchor(b"", int(block), int(ts))


@dataclass
class ChainModel:
    singles: dict[tuple[int, int], bytes] = field(default_factory=dict)  # (record, v) -> hash
    batches: list[tuple[RecordTree, list[tuple[int, int, bytes]]]] = field(default_factory=list)

    def latest(self, r: int) -> int:
        return max((v for (x, v) in self.singles if x == r), default=0)

    def pins(self, r: int, v: int) -> set[bytes]:
        """Every content the chain pins for (record, version): singles and batch leaves."""
        out = {h for (x, w), h in self.singles.items() if (x, w) == (r, v)}
        for _, leaves in self.batches:
            out |= {h for x, w, h in leaves if (x, w) == (r, v)}
        return out


def _rid(r: int, salt: bytes) -> bytes:
    return keccak256(b"history-machine" + salt + bytes([r]))


def test_invariant_1_append_only_record_history(
    catalog: Any, depts: Any, cats: Any, chain: Any
) -> None:
    staff = depts["HRSS"].staff
    reader = _ApeReader(catalog)
    outcomes: Counter[str] = Counter()

    class HistoryMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.snapshot = chain.snapshot()
            self.salt = os.urandom(8)  # fresh record ids per example (snapshots restore anyway)
            self.model = ChainModel()
            self.rows: dict[int, tuple[int, bytes]] = {}  # the store's latest row per record
            self.candidates: set[tuple[int, int, bytes]] = set()  # what a node could deliver
            self.memory = SeenRecords()
            self.accepted: dict[tuple[int, int], set[bytes]] = {}  # any requester
            self.remembered: dict[int, tuple[int, bytes]] = {}  # the requester with memory
            self.n = 0

        def teardown(self) -> None:
            chain.restore(self.snapshot)

        def _hash(self) -> bytes:
            self.n += 1
            return keccak256(self.salt + self.n.to_bytes(4, "big"))

        # --- single anchors -----------------------------------------------------------------

        @rule(
            r=st.integers(0, RECORDS - 1), kind=st.sampled_from(["next", "stale", "again", "gap"])
        )
        def anchor_single(self, r: int, kind: str) -> None:
            latest = self.model.latest(r)
            version = {
                "next": latest + 1,
                "stale": max(latest - 1, 1),
                "again": max(latest, 1),
                "gap": latest + 2,
            }[kind]
            h = self._hash()
            rid = _rid(r, self.salt)
            self.candidates.add((r, version, h))
            if (r, version) in self.model.singles:
                with ape.reverts(
                    catalog.AnchorVersionExists, category=CATEGORY, recordId=rid, version=version
                ):
                    catalog.anchorRecord(CATEGORY, rid, version, h, sender=staff)
                outcomes["refused: version exists"] += 1
                return
            if version > 1 and (r, version - 1) not in self.model.singles:
                with ape.reverts(
                    catalog.AnchorVersionGap, category=CATEGORY, recordId=rid, version=version
                ):
                    catalog.anchorRecord(CATEGORY, rid, version, h, sender=staff)
                outcomes["refused: gap"] += 1
                return
            catalog.anchorRecord(CATEGORY, rid, version, h, sender=staff)
            self.model.singles[(r, version)] = h
            self.rows[r] = (version, h)
            outcomes["single anchored"] += 1
            if version > 1:
                # a fresh requester offered the version just superseded refuses it at once
                self._judge(r, version - 1, self.model.singles[(r, version - 1)], False, 0)

        # --- batches ------------------------------------------------------------------------

        @rule(
            records=st.sets(st.integers(0, RECORDS - 1), min_size=1),
            version=st.sampled_from([1, 1, 1, 2]),
        )
        def anchor_batch(self, records: set[int], version: int) -> None:
            leaves = [(r, version, self._hash()) for r in sorted(records)]
            tree = RecordTree.of_records(
                CATEGORY, [(_rid(r, self.salt), v, h) for r, v, h in leaves]
            )
            catalog.anchorBatch(CATEGORY, tree.root, len(leaves), sender=staff)
            self.model.batches.append((tree, leaves))
            for r, v, h in leaves:
                self.candidates.add((r, v, h))
                if r not in self.rows:
                    self.rows[r] = (v, h)
            outcomes["batch anchored"] += 1
            # a fresh requester judges the batch's first leaf at once, so both outcomes (accepted
            # as a first version, refused as superseded or a version-2 leaf) are always reached
            r, v, h = leaves[0]
            self._judge(r, v, h, with_memory=False, proof_from=len(self.model.batches) - 1)

        @rule(pick=st.integers(0, 50))
        def anchor_after_batch(self, pick: int) -> None:
            firsts = [
                (tree, r, h) for tree, leaves in self.model.batches for r, v, h in leaves if v == 1
            ]
            if not firsts:
                return
            tree, r, h1 = firsts[pick % len(firsts)]
            rid = _rid(r, self.salt)
            h2 = self._hash()
            proof = tree.proof_of(record_leaf(CATEGORY, rid, 1, h1))
            self.candidates.add((r, 2, h2))
            if (r, 1) in self.model.singles:
                with ape.reverts(
                    catalog.AnchorVersionExists, category=CATEGORY, recordId=rid, version=1
                ):
                    catalog.anchorRecordAfterBatch(
                        CATEGORY, rid, tree.root, h1, proof, h2, sender=staff
                    )
                outcomes["refused: after batch, version 1 pinned"] += 1
                return
            catalog.anchorRecordAfterBatch(CATEGORY, rid, tree.root, h1, proof, h2, sender=staff)
            self.model.singles[(r, 1)] = h1
            self.model.singles[(r, 2)] = h2
            self.rows[r] = (2, h2)
            outcomes["version 2 after a batch"] += 1

        # --- the store and the requester ----------------------------------------------------

        @rule(r=st.integers(0, RECORDS - 1))
        def edit_store_row(self, r: int) -> None:
            """A DBA rewrites the latest row (content, and its stored hash)."""
            if r not in self.rows:
                return
            version, _ = self.rows[r]
            forged = self._hash()
            self.rows[r] = (version, forged)
            self.candidates.add((r, version, forged))
            outcomes["store row edited"] += 1

        @rule(
            pick=st.integers(0, 200),
            with_memory=st.booleans(),
            proof_from=st.integers(0, 10),
            honest=st.booleans(),
        )
        def fetch(self, pick: int, with_memory: bool, proof_from: int, honest: bool) -> None:
            """The node delivers a record version: its latest row (honest) or any candidate,
            with any batch proof it holds; the requester judges it."""
            if honest:
                if not self.rows:
                    return
                r = sorted(self.rows)[pick % len(self.rows)]
                version, h = self.rows[r]
            else:
                if not self.candidates:
                    return
                r, version, h = sorted(self.candidates)[pick % len(self.candidates)]
            self._judge(r, version, h, with_memory, proof_from)

        def _judge(
            self, r: int, version: int, h: bytes, with_memory: bool, proof_from: int
        ) -> None:
            rid = _rid(r, self.salt)
            proofs = [
                (tree, leaves) for tree, leaves in self.model.batches if (r, version, h) in leaves
            ]
            anchor = None
            if proofs:
                tree, _ = proofs[proof_from % len(proofs)]
                anchor = proof_json(
                    tree.root, tree.proof_of(record_leaf(CATEGORY, rid, version, h))
                )
            memory = self.memory if with_memory else None
            try:
                got = accept_record(reader, CATEGORY, rid, version, h, anchor, memory)
            except RecordRefused as refused:
                outcomes[f"requester refused: {refused.code}"] += 1
                event(f"refused {refused.code}")
                return
            latest = self.model.latest(r)
            # what a requester accepts is the latest
            if latest >= 1:
                assert got.kind == "single" and version == latest
                assert self.model.singles[(r, version)][:22] == h[:22]
            else:
                assert got.kind == "batch" and version == 1 and anchor is not None
                assert any((r, 1, h) in leaves for _, leaves in self.model.batches)
            self.accepted.setdefault((r, version), set()).add(h)
            if with_memory:
                before = self.remembered.get(r)
                if before is not None:
                    assert version > before[0] or (version == before[0] and h == before[1])
                self.remembered[r] = (version, h)
            outcomes[f"requester accepted: {got.kind}"] += 1

        # --- invariants ---------------------------------------------------------------------

        @invariant()
        def versions_are_contiguous_and_written_once(self) -> None:
            for r in range(RECORDS):
                rid = _rid(r, self.salt)
                latest = self.model.latest(r)
                assert catalog.latestVersion(CATEGORY, rid) == latest
                versions = sorted(v for (x, v) in self.model.singles if x == r)
                assert versions == list(range(1, latest + 1))
                for v in versions:
                    digest = bytes(catalog.recordVersion(CATEGORY, rid, v)[0])
                    assert digest == self.model.singles[(r, v)][:22]

        @invariant()
        def two_accepted_contents_only_where_the_chain_pins_two(self) -> None:
            for (r, v), hashes in self.accepted.items():
                if len(hashes) > 1:
                    assert len(self.model.pins(r, v)) > 1  # audit tamper names (r, v)
                    outcomes["two contents accepted, chain pins two (audit names it)"] += 1

    run_state_machine_as_test(
        HistoryMachine,
        settings=settings(deadline=None, max_examples=EXAMPLES, stateful_step_count=15),
    )
    print("history machine outcomes:", dict(outcomes))
    for needed in (
        "single anchored",
        "batch anchored",
        "refused: version exists",
        "refused: gap",
        "requester accepted: single",
        "requester accepted: batch",
        "requester refused: superseded",
        "requester refused: altered",
    ):
        assert outcomes[needed] > 0, (needed, dict(outcomes))
