"""Typed client of ``CaseApprovals``: open cases, sign and submit decisions, read a case's trail.

A case's terms (documents, applicant, route, attestation, earlier case) are hashed into its id
and kept off storage; every transaction passes them back. :meth:`Cases.terms_of` recovers them
from the ``CaseOpened`` event, so a client holding only the case id can act on it.

Approvers sign a step's ``Decision`` off chain (:func:`sign_decision`, a portable
:class:`SignedDecision` that serialises to JSON); anyone relays ``threshold`` of them with
:meth:`Cases.submit`. Before anything is sent the client checks, and explains in plain words:
the case exists and is open, the decision is for the open step, the step's and the decision's
deadlines have not passed (chain time), each signature is by its claimed signer for this
contract and chain, no signer appears twice, each signer is an active APPROVER of the step's
department, and there are enough of them. What is not checked here is still caught by the
:class:`~govchain.tx.Sender`'s ``eth_call`` preflight, which names the contract's custom error.

Documents hash (:func:`documents_root`): the Merkle tree of :mod:`govchain.sharing.merkle`
over one leaf per file, ``record id = keccak256(file name)`` and ``content hash =
keccak256(salt ‖ file bytes)``, leaves in file-name order; the 32-byte salt is kept with the
documents so that the root on chain reveals nothing about them, and anyone holding the files
and the salt recomputes it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_abi.abi import encode
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3.contract import Contract
from web3.exceptions import Web3Exception
from web3.types import LogReceipt, TxReceipt

from govchain import timefmt, validate
from govchain.approval import CaseStatus, CaseTerms, Step
from govchain.approval.messages import DECISION, SignerSignature, decision, domain, pack_signatures
from govchain.eip712 import Domain
from govchain.errors import ChainRefused, GovchainError, InvalidInput, NotFound, explain
from govchain.network import Connection
from govchain.sharing.merkle import MerkleTree, new_salt, salted_content_hash
from govchain.tx import Sender

CONTRACT = "CaseApprovals"
ROLE_STAFF, ROLE_APPROVER = 1, 2
DEPARTMENT_STATUS = ("None", "Proposed", "Active", "Suspended", "Retired")
SIGNED_DECISION_FORMAT = "govchain.approval.decision/1"
ERC1271_SELECTOR = bytes.fromhex("1626ba7e")  # isValidSignature(bytes32,bytes)
ZERO32 = b"\x00" * 32


def code_text(code: bytes) -> str:
    """A department code as text (``b"CIVIL\\0..."`` -> ``"CIVIL"``); hex if not printable."""
    raw = bytes(code).rstrip(b"\x00")
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        return "0x" + bytes(code).hex()
    return text if text.isprintable() and text else "0x" + bytes(code).hex()


when = timefmt.iso  # the one time formatter (ISO 8601 in the chosen zone)


def comment_commitment(salt: bytes, text: str) -> bytes:
    """``keccak256(salt ‖ UTF-8 text)``: what goes on chain for a comment or reason.

    Never the unsalted hash of the text: a short text (a phone number, an ID number typed as a
    comment) is found again from its hash by trying every value. The 32-byte random salt and
    the text stay off chain, with the case's documents; whoever holds both checks the
    commitment.
    """
    if len(salt) != 32:
        raise InvalidInput("comment salt", "0x" + bytes(salt).hex(), "expected 32 bytes")
    return bytes(keccak(bytes(salt) + text.encode("utf-8")))


@dataclass(frozen=True)
class Comment:
    """A comment or reason kept off chain; only :attr:`commitment` goes on chain."""

    text: str
    salt: bytes

    @classmethod
    def new(cls, text: str, salt: bytes | None = None) -> Comment:
        """A comment committed with ``salt``, or a fresh random one (co-signers of one decision
        reuse the first signer's salt so they sign the same commitment)."""
        return cls(text, new_salt() if salt is None else bytes(salt))

    @property
    def commitment(self) -> bytes:
        return comment_commitment(self.salt, self.text)


# Plain-language explanations of the contract's custom errors (the Sender's preflight uses them).
for _name, _template in {
    "ApprovalNotStaff": "{account} is not an active STAFF member of {department}",
    "ApprovalInvalidApplicant": "name exactly one applicant: a citizen identity or a department",
    "ApprovalInvalidRouteLength": "a route has 1 to 16 steps, not {length}",
    "ApprovalInvalidStep": "route step {index} has no department, a zero threshold, or a "
    "deadline in the past or before the previous step's",
    "ApprovalSchemaNotAllowed": "the approvers of {department} may not issue attestations of "
    "schema {schema} (or the applicant is not a citizen)",
    "ApprovalIssuerNotOnRoute": "the route has no step of {department}, which would issue "
    "schema {schema}: its own approvers must decide a step of the case",
    "ApprovalInvalidPreviousCase": "earlier case {previousCase} does not exist, is still "
    "open, or was approved (status {status})",
    "ApprovalUnknownCase": "no case {caseId} (unknown, or these are not its terms)",
    "ApprovalCaseExists": "a case with these terms exists already ({caseId}); a re-submission "
    "names the earlier case",
    "ApprovalCaseClosed": "case {caseId} is closed (status {status})",
    "ApprovalWrongStep": "the decision is for step {step} but step {currentStep} is open",
    "ApprovalStepExpired": "step {step} of case {caseId} passed its deadline {deadline}",
    "ApprovalStepNotExpired": "step {step} of case {caseId} is still within its deadline "
    "{deadline}",
    "ApprovalInsufficientSignatures": "step {step} needs {threshold} signatures, got {provided}",
    "ApprovalMalformedSignature": "signature entry {index} is malformed",
    "ApprovalSignerOrder": "signer {signer} is not above {previous}: a duplicate or unsorted "
    "signer",
    "ApprovalNotApprover": "{signer} is not an active APPROVER of {department} (or signed "
    "another message)",
    "ApprovalWrongDepartment": "{signer} is a member of {signerDepartment}, not of {department}",
    "ApprovalDepartmentNotActive": "department {department} is not active (status {status})",
    "ApprovalAlreadyVoted": "{approver} already voted on step {step} of case {caseId}",
    "ApprovalUnauthorizedWithdrawal": "{account} is neither the opener nor acting for the "
    "applicant of case {caseId}",
}.items():
    explain(_name, _template)


# --- documents ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Documents:
    """The Merkle root of a case's e-documents and the salt it was computed with."""

    root: bytes
    salt: bytes
    files: tuple[str, ...]


def documents_root(paths: Sequence[str | Path], salt: bytes | None = None) -> Documents:
    """The documents hash of files (see the module notes); a fresh salt unless one is given."""
    if not paths:
        raise InvalidInput("documents", "[]", "give at least one file")
    salt = new_salt() if salt is None else salt
    if len(salt) != 32:
        raise InvalidInput("salt", "0x" + salt.hex(), "expected 32 bytes")
    named: dict[str, bytes] = {}
    for item in paths:
        path = Path(item)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise InvalidInput("document", str(path), exc.strerror or str(exc)) from None
        if path.name in named:
            raise InvalidInput("document", str(path), "two documents have this file name")
        named[path.name] = content
    names = sorted(named)
    tree = MerkleTree.from_records(
        (bytes(keccak(text=n)), salted_content_hash(salt, named[n])) for n in names
    )
    return Documents(tree.root, salt, tuple(names))


# --- signed decisions -----------------------------------------------------------------------


@dataclass(frozen=True)
class SignedDecision:
    """One approver's signature of a step's ``Decision``, portable as JSON (:meth:`as_dict`)."""

    chain_id: int
    contract: ChecksumAddress
    case_id: bytes
    step: int
    approve: bool
    comment_hash: bytes
    deadline: int
    signer: ChecksumAddress
    signature: bytes
    erc1271: bool = False

    @property
    def domain(self) -> Domain:
        return domain(self.chain_id, self.contract)

    def message(self) -> dict[str, Any]:
        return decision(self.case_id, self.step, self.approve, self.comment_hash, self.deadline)

    def digest(self) -> bytes:
        """The EIP-712 digest the signer signed (``CaseApprovals.decisionHash``)."""
        return DECISION.digest(self.domain, self.message())

    def recovered(self) -> ChecksumAddress | None:
        """The EOA that made the signature (``None`` for an ERC-1271 or unreadable signature)."""
        if self.erc1271:
            return None
        try:
            return validate.address(DECISION.recover(self.domain, self.message(), self.signature))
        except (ValueError, TypeError):
            return None

    def same_decision(self, other: SignedDecision) -> bool:
        """Whether both sign the same message (so they may be submitted together)."""
        return (self.chain_id, self.contract, self.case_id, self.step, self.approve) == (
            other.chain_id,
            other.contract,
            other.case_id,
            other.step,
            other.approve,
        ) and (self.comment_hash, self.deadline) == (other.comment_hash, other.deadline)

    def signer_signature(self) -> SignerSignature:
        return SignerSignature(self.signer, self.signature, self.erc1271)

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": SIGNED_DECISION_FORMAT,
            "chain_id": self.chain_id,
            "contract": self.contract,
            "case_id": "0x" + self.case_id.hex(),
            "step": self.step,
            "approve": self.approve,
            "comment_hash": "0x" + self.comment_hash.hex(),
            "deadline": self.deadline,
            "signer": self.signer,
            "signature": "0x" + self.signature.hex(),
            "erc1271": self.erc1271,
            "digest": "0x" + self.digest().hex(),
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2) + "\n"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "signed decision") -> SignedDecision:
        """Parse and check the fields; a wrong shape raises :class:`InvalidInput`."""
        if not isinstance(data, Mapping) or data.get("format") != SIGNED_DECISION_FORMAT:
            raise InvalidInput(source, "...", f"not a {SIGNED_DECISION_FORMAT} document")
        try:
            step, chain_id, deadline = (
                int(data["step"]),
                int(data["chain_id"]),
                int(data["deadline"]),
            )
            approve = data["approve"]
            erc1271 = data.get("erc1271", False)
            if not isinstance(approve, bool) or not isinstance(erc1271, bool):
                raise InvalidInput(source, "approve", "expected true or false")
            return cls(
                chain_id=chain_id,
                contract=validate.address(data["contract"]),
                case_id=validate.bytes32(data["case_id"], "case id"),
                step=step,
                approve=approve,
                comment_hash=validate.bytes32(data["comment_hash"], "comment hash"),
                deadline=deadline,
                signer=validate.address(data["signer"]),
                signature=validate.hex_bytes(data["signature"], None, "signature"),
                erc1271=erc1271,
            )
        except InvalidInput as exc:
            raise InvalidInput(source, exc.value, f"{exc.what}: {exc.reason}") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(source, "...", f"missing or malformed field {exc}") from None

    @classmethod
    def load(cls, path: str | Path) -> SignedDecision:
        try:
            data = json.loads(Path(path).read_text())
        except OSError as exc:
            raise InvalidInput(
                "signed decision file", str(path), exc.strerror or str(exc)
            ) from None
        except ValueError:
            raise InvalidInput("signed decision file", str(path), "not JSON") from None
        return cls.from_dict(data, f"signed decision file {path}")


def sign_decision(
    account: LocalAccount,
    dom: Domain,
    case_id: bytes,
    step: int,
    approve: bool,
    comment_hash: bytes,
    deadline: int,
    wallet: str | None = None,
) -> SignedDecision:
    """Sign a ``Decision`` with an approver's key, off chain (no check, no network).

    With ``wallet``, the approver is that ERC-1271 contract (a department's wallet) and the
    key signs for it: the wallet's ``isValidSignature`` must accept the key's signature of the
    digest (as an owner-key wallet does; a multisig needs its own signature format).
    """
    signature = DECISION.sign(
        account.key, dom, decision(case_id, step, approve, comment_hash, deadline)
    )
    return SignedDecision(
        chain_id=dom.chain_id,
        contract=validate.address(dom.verifying_contract),
        case_id=bytes(case_id),
        step=step,
        approve=approve,
        comment_hash=bytes(comment_hash),
        deadline=deadline,
        signer=validate.address(wallet) if wallet else account.address,
        signature=signature,
        erc1271=wallet is not None,
    )


# --- views ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseEvent:
    """One event of a case's trail, its arguments made JSON-friendly."""

    name: str
    block: int
    tx_hash: str
    args: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"event": self.name, "block": self.block, "tx_hash": self.tx_hash, **self.args}


@dataclass(frozen=True)
class CaseState:
    """A case's stored state (``caseOf``), its terms (from ``CaseOpened``) and its events."""

    case_id: bytes
    status: CaseStatus
    current_step: int
    step_count: int
    approvals: int
    rejections: int
    opener: ChecksumAddress
    opened_at: int
    documents_hash: bytes
    outcome: bytes
    terms: CaseTerms
    history: tuple[CaseEvent, ...] = field(default=())

    @property
    def is_open(self) -> bool:
        return self.status == CaseStatus.OPEN

    @property
    def open_step(self) -> Step:
        return self.terms.route[self.current_step]

    def as_dict(self) -> dict[str, Any]:
        t = self.terms
        return {
            "case_id": "0x" + self.case_id.hex(),
            "status": self.status.name.lower(),
            "current_step": self.current_step,
            "step_count": self.step_count,
            "approvals": self.approvals,
            "rejections": self.rejections,
            "opener": self.opener,
            "opened_at": self.opened_at,
            "documents_hash": "0x" + self.documents_hash.hex(),
            "outcome": "0x" + self.outcome.hex(),
            "accepting_department": code_text(t.accepting_department),
            "applicant_citizen": None if not int(t.applicant_citizen, 16) else t.applicant_citizen,
            "applicant_department": (
                None if t.applicant_department == ZERO32 else code_text(t.applicant_department)
            ),
            "schema": "0x" + t.schema.hex(),
            "attestation_expiry": t.attestation_expiry,
            "attestation_ref_uid": "0x" + t.attestation_ref_uid.hex(),
            "previous_case": "0x" + t.previous_case.hex(),
            "route": [
                {
                    "step": i,
                    "department": code_text(s.department),
                    "threshold": s.threshold,
                    "deadline": s.deadline,
                }
                for i, s in enumerate(t.route)
            ],
            "history": [e.as_dict() for e in self.history],
        }


@dataclass(frozen=True)
class CaseSummary:
    """A case as listed: id, terms and current status."""

    case_id: bytes
    opened_block: int
    opener: ChecksumAddress
    terms: CaseTerms
    status: CaseStatus
    current_step: int

    def as_dict(self) -> dict[str, Any]:
        t = self.terms
        applicant = (
            t.applicant_citizen
            if int(t.applicant_citizen, 16)
            else code_text(t.applicant_department)
        )
        step = t.route[min(self.current_step, len(t.route) - 1)]
        return {
            "case_id": "0x" + self.case_id.hex(),
            "status": self.status.name.lower(),
            "accepting_department": code_text(t.accepting_department),
            "applicant": applicant,
            "current_step": self.current_step,
            "step_department": code_text(step.department),
            "step_deadline": step.deadline,
            "route": [code_text(s.department) for s in t.route],
            "opened_block": self.opened_block,
            "opener": self.opener,
        }


@dataclass(frozen=True)
class Sent:
    """A mined transaction of this client."""

    tx_hash: str
    block: int
    case_id: bytes

    def as_dict(self) -> dict[str, Any]:
        return {"case_id": "0x" + self.case_id.hex(), "tx_hash": self.tx_hash, "block": self.block}


def _refused(name: str, explanation: str, **arguments: Any) -> ChainRefused:
    return ChainRefused(name, arguments, explanation)


def _plain(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | HexBytes):
        return "0x" + bytes(value).hex()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _terms_from_event(raw: Any) -> CaseTerms:
    """``CaseTerms`` from the decoded ``terms`` argument of ``CaseOpened``."""
    values = list(raw.values()) if isinstance(raw, Mapping) else list(raw)
    route_raw = values[8]
    route = []
    for s in route_raw:
        parts = list(s.values()) if isinstance(s, Mapping) else list(s)
        route.append(Step(bytes(parts[0]), int(parts[1]), int(parts[2])))
    return CaseTerms(
        documents_hash=bytes(values[0]),
        accepting_department=bytes(values[1]),
        applicant_citizen=validate.address(values[2]),
        applicant_department=bytes(values[3]),
        schema=bytes(values[4]),
        attestation_expiry=int(values[5]),
        attestation_ref_uid=bytes(values[6]),
        previous_case=bytes(values[7]),
        route=tuple(route),
    )


class Cases:
    """The ``CaseApprovals`` deployment of a connection; ``sender`` signs what is sent."""

    EVENTS = (
        "CaseOpened",
        "DecisionCast",
        "VoteDiscarded",
        "StepDecided",
        "CaseApproved",
        "CaseRejected",
        "CaseWithdrawn",
        "CaseExpired",
    )

    def __init__(self, connection: Connection, sender: Sender | None = None) -> None:
        self.connection = connection
        self.w3 = connection.w3
        self.sender = sender
        self.contract: Contract = connection.contract(CONTRACT)
        self._registry: Contract | None = None
        self._topics = {
            bytes(HexBytes(getattr(self.contract.events, name)().topic)): name
            for name in self.EVENTS
        }

    # --- basics ---------------------------------------------------------------------------

    @property
    def address(self) -> ChecksumAddress:
        return validate.address(self.contract.address)

    @property
    def domain(self) -> Domain:
        return domain(self.connection.chain_id, self.address)

    @property
    def registry(self) -> Contract:
        if self._registry is None:
            self._registry = self.connection.contract("DepartmentRegistry")
        return self._registry

    @property
    def start_block(self) -> int:
        return self.connection.deployment.contracts[CONTRACT].block

    def now(self) -> int:
        """Chain time: the latest block's timestamp (deadlines are judged against it)."""
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def _need_sender(self) -> Sender:
        if self.sender is None:
            raise GovchainError("this action sends a transaction: give the client a Sender")
        return self.sender

    def _sent(self, receipt: TxReceipt, case_id: bytes) -> Sent:
        return Sent(receipt["transactionHash"].to_0x_hex(), int(receipt["blockNumber"]), case_id)

    # --- departments ----------------------------------------------------------------------

    def department_status(self, code: bytes) -> str:
        return DEPARTMENT_STATUS[int(self.registry.functions.departmentStatus(code).call())]

    def require_department(self, code: bytes) -> None:
        """Raise :class:`NotFound` for a department code the registry does not know."""
        if self.department_status(code) == "None":
            raise NotFound("department", code_text(code), "not in the department registry")

    def is_member(self, account: str, code: bytes, role: int) -> bool:
        return bool(self.registry.functions.isActiveMember(account, code, role).call())

    def department_of(self, account: str) -> bytes | None:
        """The department ``account`` is a member of (``None`` if none)."""
        dept, _roles, _active = self.registry.functions.memberOf(account).call()
        return None if bytes(dept) == ZERO32 else bytes(dept)

    def _check_approver(self, signer: str, code: bytes) -> None:
        if self.is_member(signer, code, ROLE_APPROVER):
            return
        status = self.department_status(code)
        name = code_text(code)
        if status != "Active":
            raise _refused(
                "ApprovalDepartmentNotActive", f"department {name} is not active ({status})"
            )
        raise _refused(
            "ApprovalNotApprover", f"{signer} is not an active APPROVER of {name}", signer=signer
        )

    # --- reads ----------------------------------------------------------------------------

    def decision_hash(
        self, case_id: bytes, step: int, approve: bool, comment_hash: bytes, deadline: int
    ) -> bytes:
        """The contract's EIP-712 digest of a ``Decision`` (compare with :func:`local_digest`)."""
        return bytes(
            self.contract.functions.decisionHash(
                case_id, step, approve, comment_hash, deadline
            ).call()
        )

    def local_digest(
        self, case_id: bytes, step: int, approve: bool, comment_hash: bytes, deadline: int
    ) -> bytes:
        """The same digest built in Python with :data:`DECISION` on this deployment's domain."""
        return DECISION.digest(
            self.domain, decision(case_id, step, approve, comment_hash, deadline)
        )

    def _logs(self, topics: list[Any]) -> list[LogReceipt]:
        return list(
            self.w3.eth.get_logs(
                {
                    "address": self.address,
                    "fromBlock": self.start_block,
                    "toBlock": "latest",
                    "topics": topics,
                }
            )
        )

    def _decode(self, log: LogReceipt) -> tuple[str, dict[str, Any]]:
        name = self._topics[bytes(log["topics"][0])]
        event = getattr(self.contract.events, name)()
        return name, dict(event.process_log(log)["args"])

    def _opened(self, case_id: bytes) -> tuple[LogReceipt, dict[str, Any]]:
        topic0 = "0x" + next(t for t, n in self._topics.items() if n == "CaseOpened").hex()
        logs = self._logs([topic0, "0x" + bytes(case_id).hex()])
        if not logs:
            raise NotFound("case", "0x" + bytes(case_id).hex(), "no CaseOpened event on this chain")
        return logs[0], self._decode(logs[0])[1]

    def terms_of(self, case_id: bytes) -> CaseTerms:
        """The case's terms, read back from its ``CaseOpened`` event (checked against the id)."""
        _log, args = self._opened(case_id)
        terms = _terms_from_event(args["terms"])
        if terms.case_id() != bytes(case_id):
            raise GovchainError(f"the CaseOpened terms of {case_id.hex()} do not hash to its id")
        return terms

    def state(self, case_id: bytes, history: bool = True) -> CaseState:
        """The whole state of a case: ``caseOf``, its terms and (optionally) its event trail."""
        view = self.contract.functions.caseOf(case_id).call()
        if int(view[0]) == CaseStatus.NONE:
            raise NotFound("case", "0x" + bytes(case_id).hex(), "not opened on this chain")
        terms = self.terms_of(case_id)
        trail: tuple[CaseEvent, ...] = ()
        if history:
            events = []
            for log in self._logs([None, "0x" + bytes(case_id).hex()]):
                if bytes(log["topics"][0]) not in self._topics:
                    continue
                name, args = self._decode(log)
                args.pop("caseId", None)
                if name == "CaseOpened":
                    args.pop("terms", None)
                events.append(
                    CaseEvent(
                        name,
                        int(log["blockNumber"]),
                        HexBytes(log["transactionHash"]).to_0x_hex(),
                        {k: _plain(v) for k, v in args.items()},
                    )
                )
            trail = tuple(events)
        return CaseState(
            case_id=bytes(case_id),
            status=CaseStatus(int(view[0])),
            current_step=int(view[1]),
            step_count=int(view[2]),
            approvals=int(view[3]),
            rejections=int(view[4]),
            opener=validate.address(view[5]),
            opened_at=int(view[6]),
            documents_hash=bytes(view[7]),
            outcome=bytes(view[8]),
            terms=terms,
            history=trail,
        )

    def list(
        self,
        department: bytes | None = None,
        *,
        open_only: bool = False,
        awaiting: bytes | None = None,
    ) -> list[CaseSummary]:
        """Cases from ``CaseOpened`` events, oldest first.

        ``department``: cases it accepted, applied for, or that route through it;
        ``open_only``: still open; ``awaiting``: open cases whose open step is that department's.
        """
        topic0 = "0x" + next(t for t, n in self._topics.items() if n == "CaseOpened").hex()
        found = []
        for log in self._logs([topic0]):
            _name, args = self._decode(log)
            terms = _terms_from_event(args["terms"])
            if department is not None and department not in (
                terms.accepting_department,
                terms.applicant_department,
                *(s.department for s in terms.route),
            ):
                continue
            case_id = bytes(args["caseId"])
            view = self.contract.functions.caseOf(case_id).call()
            status, step = CaseStatus(int(view[0])), int(view[1])
            if (open_only or awaiting is not None) and status != CaseStatus.OPEN:
                continue
            if awaiting is not None and terms.route[step].department != awaiting:
                continue
            found.append(
                CaseSummary(
                    case_id,
                    int(log["blockNumber"]),
                    validate.address(args["opener"]),
                    terms,
                    status,
                    step,
                )
            )
        return found

    def has_voted(self, case_id: bytes, step: int, approver: str) -> bool:
        return bool(self.contract.functions.hasVoted(case_id, step, approver).call())

    # --- checks shared by the transactions -------------------------------------------------

    def open_case(self, case_id: bytes) -> CaseState:
        """The state of a case that must be open (else a plain refusal)."""
        state = self.state(case_id, history=False)
        if not state.is_open:
            raise _refused(
                "ApprovalCaseClosed",
                f"case 0x{case_id.hex()} is closed ({state.status.name.lower()})",
            )
        return state

    def _check_live(self, state: CaseState, now: int) -> Step:
        step = state.open_step
        if now >= step.deadline:
            raise _refused(
                "ApprovalStepExpired",
                f"step {state.current_step} ({code_text(step.department)}) of case "
                f"0x{state.case_id.hex()} passed its deadline {when(step.deadline)}; "
                "'govchain case expire' closes the case",
            )
        return step

    # --- transactions ---------------------------------------------------------------------

    def open(self, terms: CaseTerms) -> Sent:
        """Open a case; returns its id (``terms.case_id()``) and the transaction.

        Checked before sending: the sender is an active STAFF member of the accepting
        department, every route department exists, and the route's deadlines lie in the
        future and never decrease. The rest (schema allowed, earlier case, case exists) is
        named by the preflight. A case that issues an attestation must route through a step
        of the accepting department (its approvers carry the authority to issue it).
        """
        sender = self._need_sender()
        accepting = terms.accepting_department
        self.require_department(accepting)
        if not self.is_member(sender.address, accepting, ROLE_STAFF):
            raise _refused(
                "ApprovalNotStaff",
                f"{sender.address} is not an active STAFF member of {code_text(accepting)}",
            )
        now, previous = self.now(), 0
        for i, step in enumerate(terms.route):
            self.require_department(step.department)
            if step.deadline <= now:
                raise InvalidInput("route step", i, f"deadline {when(step.deadline)} has passed")
            if step.deadline < previous:
                raise InvalidInput("route step", i, "its deadline is before the previous step's")
            previous = step.deadline
        if terms.schema != ZERO32 and accepting not in {s.department for s in terms.route}:
            raise _refused(
                "ApprovalIssuerNotOnRoute",
                f"the route has no step of {code_text(accepting)}, which would issue the "
                "attestation: its own approvers must decide a step of the case (add e.g. "
                f"--step {code_text(accepting)}:1:7d)",
            )
        receipt = sender.transact(self.contract.functions.openCase(terms.as_tuple()))
        return self._sent(receipt, terms.case_id())

    def sign(
        self,
        account: LocalAccount,
        case_id: bytes,
        approve: bool,
        comment_hash: bytes,
        deadline: int | None = None,
        step: int | None = None,
        wallet: str | None = None,
    ) -> SignedDecision:
        """Sign the open step's decision as an approver (no transaction).

        Checked first: the case is open, ``step`` (default: the open one) is the open step and
        within its deadline, and ``account`` is an active APPROVER of its department. The
        decision's ``deadline`` defaults to the step's. With ``wallet`` the approver checked is
        that ERC-1271 wallet, and it must accept the signature (see :func:`sign_decision`).
        """
        state = self.open_case(case_id)
        if step is not None and step != state.current_step:
            raise _refused(
                "ApprovalWrongStep", f"step {step} is not open; step {state.current_step} is"
            )
        now = self.now()
        live = self._check_live(state, now)
        self._check_approver(wallet or account.address, live.department)
        deadline = live.deadline if deadline is None else deadline
        if deadline <= now:
            raise InvalidInput("decision deadline", deadline, f"{when(deadline)} has passed")
        signed = sign_decision(
            account,
            self.domain,
            case_id,
            state.current_step,
            approve,
            comment_hash,
            deadline,
            wallet,
        )
        self._check_signature(signed)
        return signed

    def wallet_accepts(self, decision_: SignedDecision) -> bool:
        """Whether an ERC-1271 signer accepts its signature (``isValidSignature`` magic value)."""
        data = ERC1271_SELECTOR + encode(
            ["bytes32", "bytes"], [decision_.digest(), decision_.signature]
        )
        try:
            answer = bytes(self.w3.eth.call({"to": decision_.signer, "data": HexBytes(data)}))
        except (Web3Exception, ValueError):
            return False
        return answer[:4] == ERC1271_SELECTOR

    def _check_signature(self, d: SignedDecision) -> None:
        if d.erc1271:
            if not self.wallet_accepts(d):
                raise _refused(
                    "SignatureInvalidSigner",
                    f"wallet {d.signer} does not accept this signature (ERC-1271)",
                )
        elif d.recovered() != d.signer:
            raise _refused(
                "ApprovalNotApprover",
                f"the signature claimed by {d.signer} is not theirs for this decision",
            )

    def submit(self, case_id: bytes, decisions: Iterable[SignedDecision]) -> Sent:
        """Relay approvers' signed decisions for one or several consecutive steps.

        Checked before sending, in this order: every decision is for this case, contract and
        chain; the signatures of a step sign one and the same decision; the case is open; the
        first step is the open one and steps follow on; each step and each decision is within
        its deadline; each EOA signature recovers to its claimed signer and each ERC-1271
        wallet accepts its signature; no signer twice; each
        signer is an active APPROVER of the step's department; at least ``threshold``
        signatures per step (the first ``threshold`` by signer address are sent, sorted).
        """
        sender = self._need_sender()
        by_step: dict[int, list[SignedDecision]] = {}
        for d in decisions:
            if d.case_id != bytes(case_id):
                raise InvalidInput(
                    "signed decision", d.signer, f"it is for case 0x{d.case_id.hex()}"
                )
            if (d.chain_id, d.contract) != (self.connection.chain_id, self.address):
                raise InvalidInput(
                    "signed decision",
                    d.signer,
                    f"signed for {d.contract} on chain {d.chain_id}, not this deployment",
                )
            by_step.setdefault(d.step, []).append(d)
        if not by_step:
            raise InvalidInput("signed decisions", "[]", "give at least one")
        state = self.open_case(case_id)
        steps = sorted(by_step)
        if steps[0] != state.current_step:
            raise _refused(
                "ApprovalWrongStep",
                f"the decision is for step {steps[0]} but step {state.current_step} "
                f"({code_text(state.open_step.department)}) is open",
            )
        if steps != list(range(steps[0], steps[0] + len(steps))):
            raise InvalidInput("signed decisions", steps, "steps must follow one another")
        now = self.now()
        packed = []
        for index in steps:
            if index >= len(state.terms.route):
                raise InvalidInput("signed decision step", index, "the route has no such step")
            step = state.terms.route[index]
            name = code_text(step.department)
            if now >= step.deadline:
                raise _refused(
                    "ApprovalStepExpired",
                    f"step {index} ({name}) passed its deadline {when(step.deadline)}; "
                    "'govchain case expire' closes the case",
                )
            group = by_step[index]
            first = group[0]
            if any(not first.same_decision(d) for d in group[1:]):
                raise InvalidInput(
                    "signed decisions",
                    index,
                    "they sign different decisions (approve, comment or deadline differ)",
                )
            if now >= first.deadline:
                raise _refused(
                    "SignatureExpired",
                    f"the decision's deadline {when(first.deadline)} has passed; sign again",
                )
            seen: set[str] = set()
            for d in group:
                if d.signer in seen:
                    raise _refused("ApprovalSignerOrder", f"{d.signer} signed step {index} twice")
                seen.add(d.signer)
                self._check_signature(d)
                self._check_approver(d.signer, step.department)
            if len(group) < step.threshold:
                raise _refused(
                    "ApprovalInsufficientSignatures",
                    f"step {index} ({name}) needs {step.threshold} approvers' signatures, "
                    f"got {len(group)}",
                )
            chosen = sorted(group, key=lambda d: int(d.signer, 16))[: step.threshold]
            packed.append(
                (
                    index,
                    first.approve,
                    first.comment_hash,
                    first.deadline,
                    pack_signatures(d.signer_signature() for d in chosen),
                )
            )
        receipt = sender.transact(
            self.contract.functions.submitDecisions(case_id, state.terms.as_tuple(), packed)
        )
        return self._sent(receipt, case_id)

    def decide(self, case_id: bytes, approve: bool, comment_hash: bytes) -> Sent:
        """Vote on chain on the open step as an approver; ``threshold`` equal votes decide it.

        Checked first: the case is open, the step within its deadline, the sender an active
        APPROVER of its department who has not voted on this step yet.
        """
        sender = self._need_sender()
        state = self.open_case(case_id)
        step = self._check_live(state, self.now())
        self._check_approver(sender.address, step.department)
        if self.has_voted(case_id, state.current_step, sender.address):
            raise _refused(
                "ApprovalAlreadyVoted",
                f"{sender.address} already voted on step {state.current_step}",
            )
        receipt = sender.transact(
            self.contract.functions.decide(case_id, state.terms.as_tuple(), approve, comment_hash)
        )
        return self._sent(receipt, case_id)

    def withdraw(self, case_id: bytes, reason_hash: bytes) -> Sent:
        """Withdraw an open case (the opener while still STAFF of the accepting department, or
        someone acting for the applicant).

        Checked first: the case is open; who may withdraw (a dismissed opener is refused with
        ``ApprovalNotStaff``) is named by the preflight.
        """
        sender = self._need_sender()
        state = self.open_case(case_id)
        receipt = sender.transact(
            self.contract.functions.withdraw(case_id, state.terms.as_tuple(), reason_hash)
        )
        return self._sent(receipt, case_id)

    def expire(self, case_id: bytes) -> Sent:
        """Mark an open case Expired (anyone). Checked first: open, open step past its deadline."""
        sender = self._need_sender()
        state = self.open_case(case_id)
        step = state.open_step
        if self.now() < step.deadline:
            raise _refused(
                "ApprovalStepNotExpired",
                f"step {state.current_step} ({code_text(step.department)}) is still within its "
                f"deadline {when(step.deadline)}",
            )
        receipt = sender.transact(self.contract.functions.expire(case_id, state.terms.as_tuple()))
        return self._sent(receipt, case_id)
