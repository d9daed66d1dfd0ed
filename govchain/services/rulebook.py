"""Typed client of ``RuleRegistry`` and of RULE steps: sign, register, retire, list and apply rules.

Approvers sign a rule change off chain (:meth:`Rulebook.sign`, a portable
:class:`SignedRuleChange` that serialises to JSON); anyone relays ``SIGNATURES`` of them
(:meth:`Rulebook.register`, :meth:`Rulebook.retire`). A rule's requirements are read back from
its ``RuleRegistered`` event. :meth:`Rulebook.evidence` finds, for a subject, one attestation
per requirement in the ``Attested`` events (valid, of a named Active department, young enough,
no key behind it marked compromised: :mod:`govchain.services.deciders`),
and :meth:`Rulebook.decide` decides a case's open RULE steps with it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3.contract import Contract
from web3.types import TxReceipt

from govchain import validate
from govchain.approval import CaseTerms
from govchain.approval.cases import Cases, code_text
from govchain.eip712 import Domain
from govchain.errors import GovchainError, InvalidInput, NotFound
from govchain.network import Connection
from govchain.services.deciders import CaseDeciders
from govchain.services.rules import (
    CONTRACT,
    REGISTER_RULE,
    RETIRE_RULE,
    Evidence,
    Requirement,
    domain,
    proof,
    register_message,
    requirements_hash,
    retire_message,
    rule_id,
    rule_step,
    shown_version,
)
from govchain.services.signed_files import SignedFileFormat
from govchain.tx import Sender

SIGNED_FORMAT = "govchain.rules.change/2"
OLD_SIGNED_FORMATS = {
    "govchain.rules.change/1": "signed before rule messages named their signer",
}
RULE_CHANGE_FILE = SignedFileFormat(
    SIGNED_FORMAT, "signed rule change file", "govchain rule sign", OLD_SIGNED_FORMATS
)
ROLE_APPROVER = 2


@dataclass(frozen=True)
class SignedRuleChange:
    """One approver's signature of a ``RegisterRule`` or ``RetireRule`` message."""

    action: str  # "register" or "retire"
    department: bytes
    name: bytes
    version: int
    deadline: int
    signer: str
    signature: bytes
    requirements: tuple[Requirement, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": SIGNED_FORMAT,
            "action": self.action,
            "department": code_text(self.department),
            "name": code_text(self.name),
            "version": self.version,
            "deadline": self.deadline,
            "signer": self.signer,
            "signature": "0x" + self.signature.hex(),
            "requirements": [r.as_dict() for r in self.requirements],
        }

    @classmethod
    def load(cls, path: Path) -> SignedRuleChange:
        """Read a signed rule change file written by ``govchain rule sign``."""
        return RULE_CHANGE_FILE.load(path, cls._parse)

    @classmethod
    def _parse(cls, data: dict[str, Any]) -> SignedRuleChange:
        return cls(
            action=str(data["action"]),
            department=data["department"].encode().ljust(32, b"\0"),
            name=data["name"].encode().ljust(32, b"\0"),
            version=int(data["version"]),
            deadline=int(data["deadline"]),
            signer=validate.address(data["signer"]),
            signature=bytes.fromhex(data["signature"].removeprefix("0x")),
            requirements=tuple(
                Requirement(
                    bytes.fromhex(r["schema"].removeprefix("0x")),
                    int(r["max_age"]),
                    tuple(bytes.fromhex(d.removeprefix("0x")) for d in r["departments"]),
                )
                for r in data.get("requirements", [])
            ),
        )


@dataclass(frozen=True)
class RuleState:
    """A rule line: its id, department, name, current version, whether in force, requirements."""

    rule_id: bytes
    department: bytes
    name: bytes
    version: int
    active: bool
    requirements: tuple[Requirement, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule_id": "0x" + self.rule_id.hex(),
            "department": code_text(self.department),
            "name": code_text(self.name),
            "version": self.version,
            "in_force": self.active,
            "requirements": [r.as_dict() for r in self.requirements],
        }


class Rulebook:
    """The ``RuleRegistry`` deployment of a connection; ``sender`` signs what is sent."""

    def __init__(self, connection: Connection, sender: Sender | None = None) -> None:
        self.connection = connection
        self.w3 = connection.w3
        self.sender = sender
        self.contract: Contract = connection.contract(CONTRACT)
        self.cases = Cases(connection, sender)
        self._deciders: CaseDeciders | None = None

    @property
    def deciders(self) -> CaseDeciders:
        """Who decided the attestations ``CaseApprovals`` issued (a proof names them)."""
        if self._deciders is None:
            self._deciders = CaseDeciders(self.connection)
        return self._deciders

    @property
    def address(self) -> ChecksumAddress:
        return validate.address(self.contract.address)

    @property
    def domain(self) -> Domain:
        return domain(self.connection.chain_id, self.address)

    @property
    def signatures_needed(self) -> int:
        return int(self.contract.functions.SIGNATURES().call())

    def _need_sender(self) -> Sender:
        if self.sender is None:
            raise GovchainError("this action sends a transaction: give the client a Sender")
        return self.sender

    # --- reading ---------------------------------------------------------------------------

    def _registered(self, rid: bytes | None = None, department: bytes | None = None) -> list[Any]:
        event = self.contract.events.RuleRegistered()
        filters: dict[str, Any] = {}
        if rid is not None:
            filters["ruleId"] = rid
        if department is not None:
            filters["department"] = department
        start = self.connection.deployment.contracts[CONTRACT].block
        return list(event.get_logs(from_block=start, argument_filters=filters))

    def rule(self, department: bytes, name: bytes) -> RuleState:
        """The rule line ``name`` of ``department`` (:class:`NotFound` if never registered)."""
        rid = rule_id(department, name)
        dept, _hash, version, active = self.contract.functions.ruleOf(rid).call()
        if int(version) == 0:
            raise NotFound("rule", f"{code_text(department)}/{code_text(name)}", "never registered")
        # the last registration: the current version, or (retired) the one the retirement ended
        logs = self._registered(rid)
        requirements = tuple(Requirement.from_raw(r) for r in logs[-1]["args"]["requirements"])
        return RuleState(
            rid,
            bytes(dept),
            bytes(name),
            shown_version(version, active),
            bool(active),
            requirements,
        )

    def rules(self, department: bytes | None = None) -> list[RuleState]:
        """Every rule line (of ``department``), in registration order of their first version."""
        seen: dict[bytes, tuple[bytes, bytes]] = {}
        for log in self._registered(department=department):
            seen.setdefault(
                bytes(log["args"]["ruleId"]),
                (bytes(log["args"]["department"]), bytes(log["args"]["name"])),
            )
        return [self.rule(dept, name) for dept, name in seen.values()]

    # --- signing and relaying ---------------------------------------------------------------

    def sign(
        self,
        account: LocalAccount,
        action: str,
        department: bytes,
        name: bytes,
        deadline: int,
        requirements: Sequence[Requirement] = (),
        version: int | None = None,
        wallet: str | None = None,
    ) -> SignedRuleChange:
        """Sign a registration (the next version by default) or the retirement of the current
        version: the message naming the signer, the key or, with ``wallet``, the ERC-1271
        wallet the key signs for (its ``isValidSignature`` must accept the key's signature).
        Checks that the signer is an active APPROVER of ``department``."""
        signer = account.address if wallet is None else validate.address(wallet)
        if not self.cases.is_member(signer, department, ROLE_APPROVER):
            raise InvalidInput(
                "wallet" if wallet else "key",
                signer,
                f"not an active APPROVER of {code_text(department)}",
            )
        current, active = self._current(department, name)
        if action == "register":
            if not requirements:
                raise InvalidInput("requirements", "[]", "a rule needs at least one requirement")
            version = current + 1 if version is None else version
            msg = register_message(department, name, version, requirements, signer, deadline)
            signature = REGISTER_RULE.sign(account.key, self.domain, msg)
        elif action == "retire":
            if not active:
                raise NotFound("rule in force", code_text(name), f"of {code_text(department)}")
            version = current if version is None else version
            msg = retire_message(department, name, version, signer, deadline)
            signature = RETIRE_RULE.sign(account.key, self.domain, msg)
        else:
            raise InvalidInput("action", action, "register or retire")
        return SignedRuleChange(
            action,
            department,
            name,
            version,
            deadline,
            signer,
            signature,
            tuple(requirements),
        )

    def _current(self, department: bytes, name: bytes) -> tuple[int, bool]:
        _dept, _hash, version, active = self.contract.functions.ruleOf(
            rule_id(department, name)
        ).call()
        return int(version), bool(active)

    def relay(self, changes: Sequence[SignedRuleChange]) -> TxReceipt:
        """Send approvers' signed changes (all of the same message) as one transaction."""
        if not changes:
            raise InvalidInput("signed rule changes", "none", "give at least one")
        first = changes[0]
        for c in changes[1:]:
            same = (c.action, c.department, c.name, c.version, c.deadline)
            if same != (first.action, first.department, first.name, first.version, first.deadline):
                raise InvalidInput(
                    "signed rule change", c.signer, "signs another change than the first file"
                )
            if requirements_hash(c.requirements) != requirements_hash(first.requirements):
                raise InvalidInput("signed rule change", c.signer, "signs other requirements")
        ordered = sorted(changes, key=lambda c: int(c.signer, 16))
        signers = [c.signer for c in ordered]
        sigs = [c.signature for c in ordered]
        if first.action == "register":
            function = self.contract.functions.register(
                first.department,
                first.name,
                [r.as_tuple() for r in first.requirements],
                first.deadline,
                signers,
                sigs,
            )
        else:
            function = self.contract.functions.retire(
                first.department, first.name, first.version, first.deadline, signers, sigs
            )
        return self._need_sender().transact(function)

    # --- applying ---------------------------------------------------------------------------

    def evidence(self, subject: str, requirements: Sequence[Requirement]) -> list[Evidence]:
        """For each requirement, the newest attestation about ``subject`` that meets it now."""
        registry = self.connection.contract("AttestationRegistry")
        start = self.connection.deployment.contracts["AttestationRegistry"].block
        who = validate.address(subject)
        logs = [  # the filter is re-checked here: some clients (EthereumJS) ignore topic filters
            log
            for log in registry.events.Attested().get_logs(
                from_block=start, argument_filters={"subject": who}
            )
            if log["args"]["subject"] == who
        ]
        now = self.cases.now()
        found: list[Evidence] = []
        for i, req in enumerate(requirements):
            best: Evidence | None = None
            for log in reversed(list(logs)):
                args = log["args"]
                if (
                    bytes(args["schema"]) != req.schema
                    or bytes(args["department"]) not in req.departments
                ):
                    continue
                block = self.w3.eth.get_block(log["blockNumber"])
                ev = Evidence.from_event(args, int(block["timestamp"]))
                if (
                    now > ev.issued_at + req.max_age
                    or not registry.functions.isValid(ev.uid).call()
                ):
                    continue
                if self.cases.department_status(ev.department) != "Active":
                    continue
                if self.deciders.compromised(ev) is not None:
                    continue  # its attester, or a key that decided its case, was marked
                best = ev
                break
            if best is None:
                raise NotFound(
                    "attestation", f"requirement {i}", f"no valid one about {subject} meets it"
                )
            found.append(best)
        return found

    def requirements_of(self, rid: bytes) -> tuple[bool, list[Requirement]]:
        """Whether rule ``rid`` is in force, and its current version's requirements."""
        _dept, _hash, version, active = self.contract.functions.ruleOf(rid).call()
        if int(version) == 0:
            raise NotFound("rule", "0x" + rid.hex(), "never registered")
        # the last registration: the current version, or (retired) the one the retirement ended
        logs = self._registered(rid)
        return bool(active), [Requirement.from_raw(r) for r in logs[-1]["args"]["requirements"]]

    def proof_for(self, rid: bytes, subject: str) -> tuple[Any, ...]:
        """The ``RuleProof`` of rule ``rid``'s current version for ``subject``."""
        _active, requirements = self.requirements_of(rid)
        evidence = self.evidence(subject, requirements)
        return proof(requirements, evidence, self.deciders.entries(evidence))

    def open_by_rule(
        self,
        citizen: str,
        rules: Sequence[bytes],
        accepting: bytes,
        *,
        schema: bytes = b"\0" * 32,
        documents_hash: bytes | None = None,
        deadline: int | None = None,
    ) -> tuple[bytes, TxReceipt]:
        """Open a case for ``citizen`` whose route is one RULE step per rule, decided (and its
        attestation ``schema`` issued) in the opening transaction; the sender is STAFF of
        ``accepting``. ``documents_hash`` defaults to a fresh random salt (no documents)."""
        now = self.cases.now()
        until = now + 86400 if deadline is None else deadline
        terms = CaseTerms(
            documents_hash=os.urandom(32) if documents_hash is None else documents_hash,
            accepting_department=accepting,
            route=tuple(rule_step(r, until) for r in rules),
            applicant_citizen=validate.address(citizen),
            schema=schema,
        )
        proofs = [self.proof_for(r, terms.applicant_citizen) for r in rules]
        function = self.cases.contract.functions.openCaseByRule(terms.as_tuple(), proofs)
        return terms.case_id(), self._need_sender().transact(function)

    def accept(self, terms: CaseTerms, signed: tuple[Any, ...]) -> TxReceipt:
        """Relay a citizen's signed acceptance (:func:`govchain.services.offers.sign_acceptance`)
        of the service of ``terms``: opened, rule-decided and its benefit issued at once."""
        rules = [s.department for s in terms.route]
        proofs = [self.proof_for(r, terms.applicant_citizen) for r in rules]
        function = self.cases.contract.functions.acceptOffer(terms.as_tuple(), proofs, signed)
        return self._need_sender().transact(function)

    def decide(self, case_id: bytes) -> TxReceipt:
        """Decide the open RULE steps of case ``case_id`` (anyone; the sender pays)."""
        state = self.cases.state(case_id, history=False)
        terms = state.terms
        proofs = []
        step = state.current_step
        while step < len(terms.route) and terms.route[step].threshold == 0:
            proofs.append(self.proof_for(terms.route[step].department, terms.applicant_citizen))
            step += 1
        if not proofs:
            raise InvalidInput(
                "case", "0x" + case_id.hex(), f"step {state.current_step} is not a RULE step"
            )
        function = self.cases.contract.functions.decideByRule(case_id, terms.as_tuple(), proofs)
        return self._need_sender().transact(function)
