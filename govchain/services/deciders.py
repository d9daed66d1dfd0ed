"""Who decided a case's attestation (review s27 C-1): the ``CaseDeciders`` entries of a ``RuleProof``.

An attestation a case issued names ``CaseApprovals`` as its attester, never the keys that
decided it. ``CaseApprovals`` keeps, per case whose terms issue an attestation, a fold of its
deciders (``decidersHash``: ``acc = keccak256(abi.encode(acc, decider))`` from zero, in the
order the steps were decided), and a RULE step refuses such evidence unless the proof names
the case and its deciders, none of them marked compromised.

:func:`case_entries` rebuilds those entries from the chain's events, in the contract's order:
a signature step's ``StepDecided`` signers, a vote step's ``StepDecided`` counted voters, and
a RULE step's ``StepDecidedByRule`` attestations in order, each one's attester from its
``Attested`` event, or, for an attestation of ``CaseApprovals`` itself, the deciders of the
case that issued it (recursively). Each rebuilt list is checked against ``decidersHash``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from eth_abi.abi import encode
from eth_utils.crypto import keccak

from govchain import validate
from govchain.errors import GovchainError
from govchain.network import Connection
from govchain.services.rules import Evidence

APPROVALS = "CaseApprovals"
ATTESTATIONS = "AttestationRegistry"
ZERO32 = b"\0" * 32


def fold(keys: Iterable[str], acc: bytes = ZERO32) -> bytes:
    """``acc`` with each key folded in: ``keccak256(abi.encode(acc, key))``, in order."""
    for key in keys:
        acc = bytes(keccak(encode(["bytes32", "address"], [acc, validate.address(key)])))
    return acc


def _ordered(logs: Iterable[Any]) -> list[Any]:
    return sorted(logs, key=lambda log: (int(log["blockNumber"]), int(log["logIndex"])))


class CaseDeciders:
    """Reads, for attestations ``CaseApprovals`` issued, the cases and keys that decided them."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.approvals = connection.contract(APPROVALS)
        self.attestations = connection.contract(ATTESTATIONS)
        self.address = validate.address(self.approvals.address)
        self._start = connection.deployment.contracts[APPROVALS].block
        self._attested_start = connection.deployment.contracts[ATTESTATIONS].block
        self._case_of: dict[bytes, bytes] | None = None
        self._deciders: dict[bytes, list[str]] = {}
        self._attesters: dict[str, dict[bytes, str]] = {}

    def case_of(self, uid: bytes) -> bytes:
        """The id of the case whose approval issued attestation ``uid``."""
        if self._case_of is None or uid not in self._case_of:
            logs = self.approvals.events.CaseApproved().get_logs(from_block=self._start)
            self._case_of = {
                bytes(log["args"]["attestationUid"]): bytes(log["args"]["caseId"]) for log in logs
            }
        case_id = self._case_of.get(uid)
        if case_id is None:
            raise GovchainError(f"no approved case issued attestation 0x{uid.hex()}")
        return case_id

    def _attester(self, subject: str, uid: bytes) -> str:
        """The attester of attestation ``uid`` about ``subject`` (from its ``Attested`` event)."""
        who = validate.address(subject)
        known = self._attesters.get(who)
        if known is None or uid not in known:
            logs = self.attestations.events.Attested().get_logs(
                from_block=self._attested_start, argument_filters={"subject": who}
            )
            known = {  # the filter is re-checked: some clients ignore topic filters
                bytes(log["args"]["uid"]): validate.address(log["args"]["attester"])
                for log in logs
                if log["args"]["subject"] == who
            }
            self._attesters[who] = known
        if uid not in known:
            raise GovchainError(f"no Attested event of 0x{uid.hex()} about {who}")
        return known[uid]

    def deciders(self, case_id: bytes, subject: str) -> list[str]:
        """The keys that decided case ``case_id`` (whose citizen applicant is ``subject``), in
        the order ``decidersHash`` folds them (checked against it)."""
        if case_id in self._deciders:
            return self._deciders[case_id]
        events = self.approvals.events
        topic = {"caseId": case_id}
        logs = [
            log
            for log in _ordered(
                [
                    *events.StepDecided().get_logs(from_block=self._start, argument_filters=topic),
                    *events.StepDecidedByRule().get_logs(
                        from_block=self._start, argument_filters=topic
                    ),
                ]
            )
            if bytes(log["args"]["caseId"]) == case_id
        ]
        keys: list[str] = []
        for log in logs:
            args = log["args"]
            if log["event"] == "StepDecided":
                if args["approve"]:
                    keys.extend(validate.address(a) for a in args["signers"])
                continue
            for raw in args["attestationUids"]:
                uid = bytes(raw)
                # a RULE step's evidence is about the case's citizen applicant, as is the
                # attestation the case issued
                attester = self._attester(subject, uid)
                if attester == self.address:
                    keys.extend(self.deciders(self.case_of(uid), subject))
                else:
                    keys.append(attester)
        stored = bytes(self.approvals.functions.decidersHash(case_id).call())
        if fold(keys) != stored:
            raise GovchainError(
                f"the deciders read from the events of case 0x{case_id.hex()} do not match "
                "its decidersHash on chain"
            )
        self._deciders[case_id] = keys
        return keys

    def entries(self, evidence: Sequence[Evidence]) -> list[tuple[bytes, list[str]]]:
        """The ``CaseDeciders`` entries of a ``RuleProof`` with ``evidence``: one per
        attestation ``CaseApprovals`` issued, in evidence order."""
        return [
            (self.case_of(e.uid), self.deciders(self.case_of(e.uid), e.subject))
            for e in evidence
            if e.attester == self.address
        ]

    def compromised(self, evidence: Evidence) -> str | None:
        """A key behind ``evidence`` the council marked compromised (its attester, or a decider
        of the case that issued it), or ``None``."""
        registry = self.connection.contract("DepartmentRegistry")
        keys = (
            self.deciders(self.case_of(evidence.uid), evidence.subject)
            if evidence.attester == self.address
            else [evidence.attester]
        )
        for key in keys:
            if int(registry.functions.compromisedSince(key).call()) != 0:
                return key
        return None
