"""Reading ``CaseApprovals``: a case's state, terms and trail, case lists, department and
approver checks, the ``Decision`` digest; the base of the :class:`~govchain.approval.cases.Cases`
client, which adds the transactions."""

from __future__ import annotations

from typing import Any

from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3.contract import Contract
from web3.types import LogReceipt, TxReceipt

from govchain import validate
from govchain.approval import CaseStatus, CaseTerms, Step
from govchain.approval.messages import DECISION, decision, domain
from govchain.approval.views import (
    ZERO32,
    CaseEvent,
    CaseState,
    CaseSummary,
    Sent,
    code_text,
    plain,
    terms_from_event,
    when,
)
from govchain.eip712 import Domain
from govchain.errors import ChainRefused, GovchainError, NoSigningKey, NotFound
from govchain.network import Connection, log_matches
from govchain.tx import Sender

CONTRACT = "CaseApprovals"
ROLE_STAFF, ROLE_APPROVER = 1, 2
DEPARTMENT_STATUS = ("None", "Proposed", "Active", "Suspended", "Retired")


def refused(name: str, explanation: str, **arguments: Any) -> ChainRefused:
    return ChainRefused(name, arguments, explanation)


class CaseReader:
    """The read side of a ``CaseApprovals`` deployment: cases, their trail, the departments
    and signers they name, and the checks every transaction starts with; ``sender`` signs
    what :class:`~govchain.approval.cases.Cases` sends."""

    EVENTS = (
        "CaseOpened",
        "DecisionCast",
        "VoteDiscarded",
        "StepDecided",
        "CaseApproved",
        "CaseRejected",
        "CaseWithdrawn",
        "CaseExpired",
        "StepDecidedByRule",
        "OfferAccepted",
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
            raise NoSigningKey("this action")
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
            raise refused(
                "ApprovalDepartmentNotActive", f"department {name} is not active ({status})"
            )
        raise refused(
            "ApprovalNotApprover", f"{signer} is not an active APPROVER of {name}", signer=signer
        )

    # --- reads ----------------------------------------------------------------------------

    def decision_hash(
        self,
        case_id: bytes,
        step: int,
        approve: bool,
        comment_hash: bytes,
        signer: str,
        deadline: int,
    ) -> bytes:
        """The contract's EIP-712 digest of ``signer``'s ``Decision`` (see :func:`local_digest`)."""
        return bytes(
            self.contract.functions.decisionHash(
                case_id, step, approve, comment_hash, signer, deadline
            ).call()
        )

    def local_digest(
        self,
        case_id: bytes,
        step: int,
        approve: bool,
        comment_hash: bytes,
        signer: str,
        deadline: int,
    ) -> bytes:
        """The same digest built in Python with :data:`DECISION` on this deployment's domain."""
        return DECISION.digest(
            self.domain, decision(case_id, step, approve, comment_hash, signer, deadline)
        )

    def _logs(self, topics: list[Any]) -> list[LogReceipt]:
        logs = self.w3.eth.get_logs(
            {
                "address": self.address,
                "fromBlock": self.start_block,
                "toBlock": "latest",
                "topics": topics,
            }
        )
        return [log for log in logs if log_matches(log, topics)]

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
        terms = terms_from_event(args["terms"])
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
                        {k: plain(v) for k, v in args.items()},
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
            terms = terms_from_event(args["terms"])
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
            raise refused(
                "ApprovalCaseClosed",
                f"case 0x{case_id.hex()} is closed ({state.status.name.lower()})",
            )
        return state

    def _check_live(self, state: CaseState, now: int) -> Step:
        step = state.open_step
        if now >= step.deadline:
            raise refused(
                "ApprovalStepExpired",
                f"step {state.current_step} ({code_text(step.department)}) of case "
                f"0x{state.case_id.hex()} passed its deadline {when(step.deadline)}; "
                "'govchain case expire' closes the case",
            )
        return step
