"""Services (免申即享): a department's rule bound to the benefit it grants, on ``RuleRegistry``.

A service line ``name`` of a department has id ``keccak256(abi.encode(SERVICE_TAG, department,
name))``; each registration makes its next version current. Registration and retirement are
EIP-712 messages (``RegisterService`` / ``RetireService``) on the ``RuleRegistry`` domain
signed by ``SIGNATURES`` approvers of the department, as rule changes are, each message naming
its signer (R2-5). An offer is accepted
only as a case whose terms are the service's (:func:`service_terms`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import encode
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from web3.contract import Contract
from web3.types import TxReceipt

from govchain import validate
from govchain.approval import CaseTerms
from govchain.approval.cases import code_text
from govchain.approval.messages import SignerSignature
from govchain.eip712 import TypedMessage, message
from govchain.errors import GovchainError, NotFound
from govchain.network import Connection
from govchain.services.rules import CONTRACT, domain, rule_step, shown_version
from govchain.tx import Sender

SERVICE_TAG = bytes(keccak(text="govchain.service"))

REGISTER_SERVICE: TypedMessage = message(
    "RegisterService",
    [
        ("bytes32", "department"),
        ("bytes32", "name"),
        ("uint32", "version"),
        ("bytes32", "ruleId"),
        ("bytes32", "benefit"),
        ("uint64", "validFor"),
        ("address", "signer"),
        ("uint256", "deadline"),
    ],
)

RETIRE_SERVICE: TypedMessage = message(
    "RetireService",
    [
        ("bytes32", "department"),
        ("bytes32", "name"),
        ("uint32", "version"),
        ("address", "signer"),
        ("uint256", "deadline"),
    ],
)


def service_id(department: bytes, name: bytes) -> bytes:
    """``keccak256(abi.encode(SERVICE_TAG, department, name))``: the id of a service line."""
    return bytes(keccak(encode(["bytes32", "bytes32", "bytes32"], [SERVICE_TAG, department, name])))


def register_message(
    department: bytes,
    name: bytes,
    version: int,
    rule: bytes,
    benefit: bytes,
    signer: str,
    deadline: int,
    valid_for: int = 0,
) -> dict[str, Any]:
    """The ``RegisterService`` message fields that ``signer`` (a key, or an ERC-1271 wallet)
    signs (``valid_for`` seconds, 0: no limit)."""
    return {
        "department": bytes(department),
        "name": bytes(name),
        "version": int(version),
        "ruleId": bytes(rule),
        "benefit": bytes(benefit),
        "validFor": int(valid_for),
        "signer": validate.address(signer),
        "deadline": int(deadline),
    }


def retire_message(
    department: bytes, name: bytes, version: int, signer: str, deadline: int
) -> dict[str, Any]:
    """The ``RetireService`` message fields that ``signer`` (a key, or an ERC-1271 wallet) signs."""
    return {
        "department": bytes(department),
        "name": bytes(name),
        "version": int(version),
        "signer": validate.address(signer),
        "deadline": int(deadline),
    }


@dataclass(frozen=True)
class Service:
    """A service line: its id, department, name, rule line, benefit schema, version, in force,
    and how long a benefit issued on its rule's authority alone stays valid (seconds, 0: no
    limit; a case's ``attestation_expiry`` of 0 then means that long from its issue)."""

    service_id: bytes
    department: bytes
    name: bytes
    rule_id: bytes
    benefit: bytes
    version: int
    active: bool
    valid_for: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "service_id": "0x" + self.service_id.hex(),
            "department": code_text(self.department),
            "name": code_text(self.name),
            "rule_id": "0x" + self.rule_id.hex(),
            "benefit": "0x" + self.benefit.hex(),
            "version": self.version,
            "in_force": self.active,
            "valid_for_seconds": self.valid_for,
        }


def service_terms(
    service: Service, citizen: str, deadline: int, documents_hash: bytes | None = None
) -> CaseTerms:
    """The terms of a case of ``service`` for ``citizen``: one RULE step of its rule, its
    benefit; ``documents_hash`` defaults to a fresh random salt (the case has no documents)."""
    return CaseTerms(
        documents_hash=os.urandom(32) if documents_hash is None else bytes(documents_hash),
        accepting_department=service.department,
        route=(rule_step(service.rule_id, deadline),),
        applicant_citizen=validate.address(citizen),
        schema=service.benefit,
    )


class Catalog:
    """The services of a ``RuleRegistry`` deployment; ``sender`` relays what is sent."""

    def __init__(self, connection: Connection, sender: Sender | None = None) -> None:
        self.connection = connection
        self.sender = sender
        self.contract: Contract = connection.contract(CONTRACT)

    def max_validity(self) -> int:
        """The longest validity a service may give, in seconds (the contract's ``MAX_VALIDITY``)."""
        return int(self.contract.functions.MAX_VALIDITY().call())

    def service(self, department: bytes, name: bytes) -> Service:
        """Service line ``name`` of ``department`` (:class:`NotFound` if never registered)."""
        return self.by_id(service_id(department, name), name)

    def by_id(self, sid: bytes, name: bytes = b"") -> Service:
        """Service line ``sid`` (:class:`NotFound` if never registered)."""
        dept, rule, benefit, valid_for, version, active = self.contract.functions.serviceOf(
            sid
        ).call()
        if int(version) == 0:
            raise NotFound("service", "0x" + sid.hex(), "never registered")
        if not name:
            name = self._names().get(sid, b"")
        return Service(
            sid,
            bytes(dept),
            bytes(name),
            bytes(rule),
            bytes(benefit),
            shown_version(version, active),
            bool(active),
            int(valid_for),
        )

    def _names(self) -> dict[bytes, bytes]:
        start = self.connection.deployment.contracts[CONTRACT].block
        logs = self.contract.events.ServiceRegistered().get_logs(from_block=start)
        return {bytes(log["args"]["serviceId"]): bytes(log["args"]["name"]) for log in logs}

    def services(self, department: bytes | None = None) -> list[Service]:
        """Every service line (of ``department``), in order of first registration."""
        out = [self.by_id(sid, name) for sid, name in self._names().items()]
        return [s for s in out if department is None or s.department == department]

    def sign(
        self,
        account: LocalAccount,
        department: bytes,
        name: bytes,
        deadline: int,
        rule: bytes | None = None,
        benefit: bytes | None = None,
        valid_for: int = 0,
        wallet: str | None = None,
        version: int | None = None,
    ) -> SignerSignature:
        """An approver's signature registering the next version (``rule`` and ``benefit``
        given, a benefit issued on the rule's authority alone valid for at most ``valid_for``
        seconds, 0: no limit) or retiring the version in force of service ``name`` of
        ``department`` (seen as ``version``, default the current one; relayed, it also retires
        a version registered after it: R-3): of the message naming its signer, ``account`` or,
        with ``wallet``, the ERC-1271 wallet ``account`` signs for."""
        current = self.version_of(department, name)
        dom = domain(self.connection.chain_id, self.contract.address)
        me = account.address if wallet is None else validate.address(wallet)
        if rule is not None and benefit is not None:
            msg = register_message(
                department, name, current + 1, rule, benefit, me, deadline, valid_for
            )
            return SignerSignature(me, REGISTER_SERVICE.sign(account.key, dom, msg))
        seen = current if version is None else int(version)
        msg = retire_message(department, name, seen, me, deadline)
        return SignerSignature(me, RETIRE_SERVICE.sign(account.key, dom, msg))

    def version_of(self, department: bytes, name: bytes) -> int:
        """The stored version of service line ``name`` of ``department`` (0: never registered;
        after a retirement, the retired version plus 1)."""
        return int(self.contract.functions.serviceOf(service_id(department, name)).call()[4])

    def relay(
        self,
        department: bytes,
        name: bytes,
        deadline: int,
        signatures: Sequence[SignerSignature],
        rule: bytes | None = None,
        benefit: bytes | None = None,
        valid_for: int = 0,
        version: int | None = None,
    ) -> TxReceipt:
        """Send approvers' signatures of one service change as one transaction (a retirement:
        signed for ``version``, default the current one)."""
        if self.sender is None:
            raise GovchainError("this action sends a transaction: give the client a Sender")
        ordered = sorted(signatures, key=lambda s: s.key)
        signers = [s.signer for s in ordered]
        sigs = [s.signature for s in ordered]
        if rule is not None and benefit is not None:
            terms = (department, name, rule, benefit, int(valid_for))
            function = self.contract.functions.registerService(terms, deadline, signers, sigs)
        else:
            seen = self.version_of(department, name) if version is None else int(version)
            function = self.contract.functions.retireService(
                department, name, seen, deadline, signers, sigs
            )
        return self.sender.transact(function)
