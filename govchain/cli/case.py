"""``govchain case``: approval cases routed through departments, decided by e-signatures.

Staff open a case over the Merkle root of its e-documents; each step's approvers sign the
decision off chain (``case sign`` writes a portable JSON file) and anyone relays the files
(``case submit``), or approvers vote on chain (``case decide``). Thin over
:mod:`govchain.approval.cases`.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from govchain.approval import ZERO_ADDRESS, CaseStatus, CaseTerms, Step, domain
from govchain.approval.cases import (
    CaseEvent,
    Cases,
    CaseState,
    Comment,
    SignedDecision,
    code_text,
    documents_root,
    sign_decision,
    when,
)
from govchain.cli.context import CliContext, pass_cli
from govchain.cli.params import ADDRESS, BYTES32
from govchain.deploy import department_code
from govchain.errors import InvalidInput
from govchain.network import read_deployment

ZERO32 = b"\x00" * 32
F = TypeVar("F", bound=Callable[..., Any])
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^(\d+)([smhdw])$")


class DepartmentCodeType(click.ParamType):
    """A department code (``CIVIL``) as the contracts store it; existence is checked on chain."""

    name = "code"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> bytes:
        if isinstance(value, bytes):
            return value
        try:
            return department_code(str(value).upper())
        except InvalidInput as exc:
            self.fail(f"{exc.reason}: {value!r}", param, ctx)


DEPARTMENT = DepartmentCodeType()


def parse_when(text: str, now: int, what: str = "deadline") -> int:
    """``7d``/``12h``/``30m``/``90s``/``2w`` from chain time ``now``, unix seconds, or ISO-8601."""
    value = text.strip()
    match = _DURATION.match(value)
    if match:
        return now + int(match.group(1)) * _UNITS[match.group(2)]
    if value.isdigit():
        return int(value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            what, text, "expected a duration (7d, 12h, 30m), unix seconds or an ISO date"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def parse_step(text: str, now: int) -> Step:
    """``CODE:K:WHEN``, e.g. ``DPF:1:7d`` (1 approver of DPF within 7 days)."""
    parts = text.split(":", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        raise InvalidInput("route step", text, "expected DEPT:K:WHEN, e.g. DPF:1:7d")
    threshold = int(parts[1])
    if not 1 <= threshold <= 255:
        raise InvalidInput("route step", text, "K is 1 to 255 approvers")
    return Step(department_code(parts[0].upper()), threshold, parse_when(parts[2], now))


def _comment(
    text: str | None, digest: bytes | None, salt: bytes | None, what: str = "comment"
) -> tuple[bytes, Comment | None]:
    """The 32 bytes that go on chain for ``--WHAT`` and the off-chain comment, if text was given.

    Text is committed as ``keccak256(salt ‖ text)`` with ``--WHAT-salt`` or a fresh random salt
    (never an unsalted hash: a short text is brute-forced from it); the salt is printed so it is
    kept with the case's documents and given to co-signers of the same decision.
    """
    if text is not None and digest is not None:
        raise click.UsageError(f"give --{what} or --{what}-hash, not both")
    if salt is not None and text is None:
        raise click.UsageError(f"--{what}-salt goes with --{what}")
    if digest is not None:
        return digest, None
    if text is None:
        return ZERO32, None
    comment = Comment.new(text, salt)
    return comment.commitment, comment


def _salted(comment: Comment | None, what: str = "comment") -> dict[str, str]:
    """The salt to keep off chain with the text, as output fields (none without text)."""
    return {f"{what}_salt": _hex(comment.salt)} if comment else {}


def _salt_note(comment: Comment | None, what: str = "comment") -> str:
    if comment is None:
        return ""
    return (
        f"; keep the {what} and its salt {_hex(comment.salt)} with the case's documents "
        f"(co-signers pass --{what}-salt)"
    )


def _verdict(approve: bool | None) -> bool:
    if approve is None:
        raise click.UsageError("say --approve or --reject")
    return approve


def _cases(obj: CliContext, signing: bool = False) -> Cases:
    return Cases(obj.connection(), obj.sender() if signing else None)


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


@click.group("case")
def group() -> None:
    """Approval cases: open, sign, submit, decide, show, list, withdraw, expire, hash."""


def comment_options(what: str, help_text: str) -> Callable[[F], F]:
    """``--WHAT TEXT`` (committed with a salt), ``--WHAT-salt 0x..`` and ``--WHAT-hash 0x..``
    (exclusive with the text), see :func:`_comment`."""

    def decorate(f: F) -> F:
        f = click.option(
            f"--{what}-salt",
            f"{what}_salt",
            type=BYTES32,
            metavar="SALT",
            help=f"the 32-byte salt of the {what}'s commitment (default: a fresh one); "
            "co-signers of one decision use the same",
        )(f)
        f = click.option(
            f"--{what}-hash",
            f"{what}_hash",
            type=BYTES32,
            metavar="HASH",
            help=f"the {what}'s salted commitment, if it was made elsewhere",
        )(f)
        return click.option(f"--{what}", what, metavar="TEXT", help=help_text)(f)

    return decorate


verdict_option = click.option(
    "--approve/--reject", "approve", default=None, help="the decision (one is required)"
)


@group.command("open")
@click.option(
    "--step",
    "steps",
    multiple=True,
    required=True,
    metavar="DEPT:K:WHEN",
    help="a route step, in order: K approvers of DEPT by WHEN (7d, 12h, unix time, ISO date)",
)
@click.option("--citizen", type=ADDRESS, help="the applicant: a citizen identity address")
@click.option("--applicant-dept", type=DEPARTMENT, help="the applicant: a department code")
@click.option(
    "--doc",
    "docs",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="an e-document of the application (repeat); their Merkle root is the documents hash",
)
@click.option(
    "--documents-hash",
    type=BYTES32,
    metavar="ROOT",
    help="the documents' Merkle root, computed elsewhere",
)
@click.option(
    "--salt", type=BYTES32, metavar="HEX", help="salt of the document leaves (default: a fresh one)"
)
@click.option("--dept", type=DEPARTMENT, help="accepting department (default: the --key's)")
@click.option(
    "--schema",
    type=BYTES32,
    metavar="UID",
    help="attestation schema to issue to the citizen on approval",
)
@click.option("--attestation-expiry", metavar="WHEN", help="when that attestation expires")
@click.option(
    "--ref-uid", type=BYTES32, metavar="UID", help="an attestation the issued one refers to"
)
@click.option(
    "--previous", type=BYTES32, metavar="CASE", help="an earlier case this one re-submits"
)
@pass_cli
def open_case(
    obj: CliContext,
    steps: tuple[str, ...],
    citizen: str | None,
    applicant_dept: bytes | None,
    docs: tuple[Path, ...],
    documents_hash: bytes | None,
    salt: bytes | None,
    dept: bytes | None,
    schema: bytes | None,
    attestation_expiry: str | None,
    ref_uid: bytes | None,
    previous: bytes | None,
) -> None:
    """Open a case (STAFF of the accepting department); prints its id and the transaction."""
    if (citizen is None) == (applicant_dept is None):
        raise click.UsageError("name one applicant: --citizen ADDRESS or --applicant-dept CODE")
    if bool(docs) == (documents_hash is not None):
        raise click.UsageError("give the documents: --doc FILE (repeat) or --documents-hash")
    if salt is not None and not docs:
        raise click.UsageError("--salt goes with --doc")
    documents = documents_root(docs, salt) if docs else None
    cases = _cases(obj, signing=True)
    now = cases.now()
    route = tuple(parse_step(s, now) for s in steps)
    if dept is None:
        dept = cases.department_of(cases.sender.address) if cases.sender else None
        if dept is None:
            raise click.UsageError("the --key account is in no department: give --dept CODE")
    if applicant_dept is not None:
        cases.require_department(applicant_dept)
    terms = CaseTerms(
        documents_hash=documents.root if documents else documents_hash or ZERO32,
        accepting_department=dept,
        route=route,
        applicant_citizen=citizen or ZERO_ADDRESS,
        applicant_department=applicant_dept or ZERO32,
        schema=schema or ZERO32,
        attestation_expiry=(
            parse_when(attestation_expiry, now, "attestation expiry") if attestation_expiry else 0
        ),
        attestation_ref_uid=ref_uid or ZERO32,
        previous_case=previous or ZERO32,
    )
    sent = cases.open(terms)
    data: dict[str, Any] = {
        **sent.as_dict(),
        "documents_hash": _hex(terms.documents_hash),
        "route": [
            {
                "department": code_text(s.department),
                "threshold": s.threshold,
                "deadline": s.deadline,
            }
            for s in route
        ],
    }
    if documents is not None:
        data["documents"] = list(documents.files)
        data["salt"] = _hex(documents.salt)

    def text() -> str:
        lines = [f"opened case {data['case_id']} in {sent.tx_hash} (block {sent.block})"]
        if documents is not None:
            lines.append(
                f"documents hash {data['documents_hash']} over {len(documents.files)} file(s); "
                f"keep the salt {data['salt']} with them"
            )
        return "\n".join(lines)

    obj.emit(data, text)


@group.command("sign")
@click.argument("case_id", metavar="CASE", type=BYTES32)
@verdict_option
@comment_options(
    "comment", "the comment (or reason to reject); only a salted commitment goes on chain"
)
@click.option("--deadline", metavar="WHEN", help="the signature's deadline (default: the step's)")
@click.option("--step", type=int, help="the step signed for (default: the open one)")
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="write the signed decision here (default: print it)",
)
@click.option(
    "--wallet",
    type=ADDRESS,
    help="sign for this ERC-1271 wallet (the APPROVER) that accepts the key's signature",
)
@click.option(
    "--as-safe",
    "safe",
    type=ADDRESS,
    help="sign as one owner of this Safe (the APPROVER): the Safe's SafeMessage over the "
    "decision; 'case submit' joins the owners' files into the Safe's signature",
)
@click.option(
    "--offline",
    is_flag=True,
    help="sign without a node: needs --step, --deadline and the root --chain-id; "
    "the contract comes from the deployment manifest; nothing is checked",
)
@pass_cli
def sign(
    obj: CliContext,
    case_id: bytes,
    approve: bool | None,
    comment: str | None,
    comment_salt: bytes | None,
    comment_hash: bytes | None,
    deadline: str | None,
    step: int | None,
    out: Path | None,
    wallet: str | None,
    safe: str | None,
    offline: bool,
) -> None:
    """Sign the open step's decision as an APPROVER (--key): no transaction, no gas; prints the
    signed decision as JSON (or writes --out) for whoever submits. Checks first (not with
    --offline) that the case is open, the step open and in time, the key an APPROVER of it."""
    verdict = _verdict(approve)
    if wallet and safe:
        raise click.UsageError("give --wallet or --as-safe, not both")
    digest, kept = _comment(comment, comment_hash, comment_salt)
    if offline:
        signed = _sign_offline(obj, case_id, verdict, digest, deadline, step, wallet, safe)
    else:
        cases = _cases(obj)
        account = obj.account()
        until = parse_when(deadline, cases.now()) if deadline else None
        signed = cases.sign(account, case_id, verdict, digest, until, step, wallet, safe)
    # the salt travels with the signed decision (off chain), never the chain
    document = json.dumps({**signed.as_dict(), **_salted(kept)}, indent=2) + "\n"
    if out is None:
        click.echo(document, nl=False)
        return
    try:
        out.write_text(document)
    except OSError as exc:
        raise InvalidInput("output file", str(out), exc.strerror or str(exc)) from None
    obj.emit(
        {"file": str(out), **signed.as_dict(), **_salted(kept)},
        f"{_who(signed)} signed {'approval' if verdict else 'rejection'} of step {signed.step} "
        f"of case {_hex(case_id)} -> {out}{_salt_note(kept)}",
    )


def _who(signed: SignedDecision) -> str:
    if signed.safe_owner is None:
        return signed.signer
    return f"{signed.safe_owner}, an owner of Safe {signed.signer},"


def _sign_offline(
    obj: CliContext,
    case_id: bytes,
    approve: bool,
    comment_hash: bytes,
    deadline: str | None,
    step: int | None,
    wallet: str | None,
    safe: str | None,
) -> SignedDecision:
    """Sign with no node: the domain from ``--chain-id`` and the manifest; no checks."""
    if obj.chain_id is None or step is None or deadline is None:
        raise click.UsageError("--offline needs the root --chain-id, --step and --deadline")
    if not 0 <= step <= 255:
        raise InvalidInput("step", step, "0 to 255")
    contract = read_deployment(obj.chain_id, obj.home).address("CaseApprovals")
    until = parse_when(deadline, int(time.time()))
    dom = domain(obj.chain_id, contract)
    return sign_decision(
        obj.account(), dom, case_id, step, approve, comment_hash, until, wallet, safe
    )


@group.command("submit")
@click.argument("case_id", metavar="CASE", type=BYTES32)
@click.argument("step", type=int)
@click.argument(
    "files", metavar="SIGFILE...", nargs=-1, required=True, type=click.Path(path_type=Path)
)
@pass_cli
def submit(obj: CliContext, case_id: bytes, step: int, files: tuple[Path, ...]) -> None:
    """Relay approvers' signed decisions for STEP of CASE at once (anyone; --key pays). A Safe's
    owners' files are joined into the Safe's one signature."""
    decisions = [SignedDecision.load(f) for f in files]
    for path, d in zip(files, decisions, strict=True):
        if d.step != step:
            raise InvalidInput("signed decision file", str(path), f"it is for step {d.step}")
    cases = _cases(obj, signing=True)
    sent = cases.submit(case_id, decisions)
    state = cases.state(case_id, history=False)
    data = {
        **sent.as_dict(),
        "step": step,
        "signers": len({d.signer for d in decisions}),
        **_status(state),
    }
    obj.emit(data, f"step {step} decided in {sent.tx_hash}; case is {_status_text(state)}")


@group.command("decide")
@click.argument("case_id", metavar="CASE", type=BYTES32)
@verdict_option
@comment_options(
    "comment", "the comment (or reason to reject); only a salted commitment goes on chain"
)
@pass_cli
def decide(
    obj: CliContext,
    case_id: bytes,
    approve: bool | None,
    comment: str | None,
    comment_salt: bytes | None,
    comment_hash: bytes | None,
) -> None:
    """Vote on chain on the open step as an APPROVER (--key); K votes of approvers still active
    when the K-th arrives decide it."""
    verdict = _verdict(approve)
    digest, kept = _comment(comment, comment_hash, comment_salt)
    cases = _cases(obj, signing=True)
    sent = cases.decide(case_id, verdict, digest)
    state = cases.state(case_id, history=False)
    data = {**sent.as_dict(), "approve": verdict, **_salted(kept), **_status(state)}
    obj.emit(data, f"voted in {sent.tx_hash}; case is {_status_text(state)}{_salt_note(kept)}")


@group.command("withdraw")
@click.argument("case_id", metavar="CASE", type=BYTES32)
@comment_options("reason", "why; only a salted commitment goes on chain")
@pass_cli
def withdraw(
    obj: CliContext,
    case_id: bytes,
    reason: str | None,
    reason_salt: bytes | None,
    reason_hash: bytes | None,
) -> None:
    """Withdraw an open case (its opener while still STAFF of the accepting department, or the
    applicant's owner, agent or staff)."""
    digest, kept = _comment(reason, reason_hash, reason_salt, "reason")
    sent = _cases(obj, signing=True).withdraw(case_id, digest)
    obj.emit(
        {**sent.as_dict(), "status": "withdrawn", **_salted(kept, "reason")},
        f"withdrawn in {sent.tx_hash}{_salt_note(kept, 'reason')}",
    )


@group.command("expire")
@click.argument("case_id", metavar="CASE", type=BYTES32)
@pass_cli
def expire(obj: CliContext, case_id: bytes) -> None:
    """Close an open case whose open step passed its deadline (anyone, --key pays)."""
    sent = _cases(obj, signing=True).expire(case_id)
    obj.emit({**sent.as_dict(), "status": "expired"}, f"expired in {sent.tx_hash}")


def _status(state: CaseState) -> dict[str, Any]:
    return {
        "status": state.status.name.lower(),
        "current_step": state.current_step,
        "outcome": _hex(state.outcome),
    }


def _status_text(state: CaseState) -> str:
    if state.status == CaseStatus.OPEN:
        step = state.open_step
        return (
            f"open at step {state.current_step} ({code_text(step.department)}, "
            f"{step.threshold} approver(s) by {when(step.deadline)})"
        )
    return state.status.name.lower()


@group.command("show")
@click.argument("case_id", metavar="CASE", type=BYTES32)
@pass_cli
def show(obj: CliContext, case_id: bytes) -> None:
    """A case's whole state: status, route, applicant, documents, outcome and its events."""
    state = _cases(obj).state(case_id)
    data = state.as_dict()

    def text() -> str:
        applicant = data["applicant_citizen"] or data["applicant_department"]
        lines = [
            f"case       {data['case_id']}",
            f"status     {_status_text(state)}",
            f"accepting  {data['accepting_department']} (opened by {state.opener} "
            f"at {when(state.opened_at)})",
            f"applicant  {applicant}",
            f"documents  {data['documents_hash']}",
        ]
        if state.terms.schema != ZERO32:
            lines.append(f"schema     {data['schema']}")
        if state.terms.previous_case != ZERO32:
            lines.append(f"previous   {data['previous_case']}")
        if state.status != CaseStatus.OPEN and state.outcome != ZERO32:
            lines.append(f"outcome    {data['outcome']}")
        for s in data["route"]:
            mark = ">" if state.is_open and s["step"] == state.current_step else " "
            who = (
                f"{s['department']:<10} {s['threshold']} approver(s)"
                if s["threshold"]
                else f"RULE {s['department']}"  # a RULE step's department field is its rule id
            )
            lines.append(f"{mark} step {s['step']}  {who} by {when(s['deadline'])}")
        if state.is_open and state.approvals + state.rejections:
            lines.append(f"votes      {state.approvals} approve, {state.rejections} reject")
        voted_in = {e.tx_hash for e in state.history if e.name == "DecisionCast"}
        for e in state.history:
            lines.append(f"  block {e.block}  {_event_text(e, e.tx_hash in voted_in)}")
        return "\n".join(lines)

    obj.emit(data, text)


def _event_text(event: CaseEvent, by_votes: bool = False) -> str:
    """One line of a case's trail; ``by_votes``: a step decided in the transaction of a vote."""
    a = event.args
    verdict = "approved" if a.get("approve") else "rejected"
    if event.name == "CaseOpened":
        return f"opened by {a['opener']}"
    if event.name == "DecisionCast":
        return f"step {a['step']} {verdict} on chain by {a['approver']}"
    if event.name == "StepDecided":
        dept = code_text(bytes.fromhex(a["department"][2:]))
        count = len(a["signers"])
        by = f"{count} on-chain vote(s)" if by_votes else f"{count} signature(s)"
        return f"step {a['step']} ({dept}) {verdict} by {by}, sent by {a['submitter']}"
    if event.name == "StepDecidedByRule":
        uids = ", ".join(a["attestationUids"])
        return (
            f"step {a['step']} approved by rule {a['ruleId']} v{a['version']} over "
            f"attestations {uids}, sent by {a['sender']}"
        )
    if event.name == "OfferAccepted":
        return f"offer accepted for {a['citizen']}, signed by {a['signer']}, sent by {a['sender']}"
    if event.name == "VoteDiscarded":
        return (
            f"step {a['step']}: the vote of {a['approver']} was discarded (no longer an "
            "active approver when the step was counted)"
        )
    if event.name == "CaseApproved":
        return f"case approved; attestation {a['attestationUid']}"
    if event.name == "CaseRejected":
        return f"case rejected at step {a['step']}; reason {a['reasonHash']}"
    if event.name == "CaseWithdrawn":
        return f"case withdrawn by {a['account']}; reason {a['reasonHash']}"
    if event.name == "CaseExpired":
        return f"case expired at step {a['step']} (deadline {when(a['deadline'])})"
    return event.name


@group.command("list")
@click.option(
    "--dept",
    type=DEPARTMENT,
    help="cases this department accepted, applied for, or that route through it",
)
@click.option("--open", "open_only", is_flag=True, help="open cases only")
@click.option("--awaiting", type=DEPARTMENT, help="open cases whose open step is this department's")
@pass_cli
def list_cases(
    obj: CliContext, dept: bytes | None, open_only: bool, awaiting: bytes | None
) -> None:
    """Cases from the chain's CaseOpened events, oldest first, with their status."""
    cases = _cases(obj)
    for code in (dept, awaiting):
        if code is not None:
            cases.require_department(code)
    found = [c.as_dict() for c in cases.list(dept, open_only=open_only, awaiting=awaiting)]

    def text() -> str:
        if not found:
            return "no cases"
        return "\n".join(
            f"{c['case_id']}  {c['status']:<9} step {c['current_step']} ({c['step_department']})"
            f"  {'>'.join(c['route'])}  applicant {c['applicant']}"
            for c in found
        )

    obj.emit(found, text)


@group.command("hash")
@click.argument("case_id", metavar="CASE", type=BYTES32)
@click.argument("step", type=int)
@verdict_option
@comment_options("comment", "the comment whose salted commitment is signed")
@click.option("--deadline", required=True, metavar="WHEN", help="the decision's deadline")
@click.option(
    "--signer",
    required=True,
    type=ADDRESS,
    help="the approver (key or ERC-1271 wallet) the Decision names",
)
@pass_cli
def hash_decision(
    obj: CliContext,
    case_id: bytes,
    step: int,
    approve: bool | None,
    comment: str | None,
    comment_salt: bytes | None,
    comment_hash: bytes | None,
    deadline: str,
    signer: str,
) -> None:
    """The EIP-712 digest of a Decision naming SIGNER: the contract's and this client's, compared."""
    verdict = _verdict(approve)
    digest, kept = _comment(comment, comment_hash, comment_salt)
    if not 0 <= step <= 255:
        raise InvalidInput("step", step, "0 to 255")
    cases = _cases(obj)
    until = parse_when(deadline, cases.now())
    onchain = cases.decision_hash(case_id, step, verdict, digest, signer, until)
    local = cases.local_digest(case_id, step, verdict, digest, signer, until)
    data = {
        "case_id": _hex(case_id),
        "step": step,
        "approve": verdict,
        "comment_hash": _hex(digest),
        **_salted(kept),
        "signer": signer,
        "deadline": until,
        "contract": cases.address,
        "chain_id": cases.connection.chain_id,
        "digest": _hex(onchain),
        "local_digest": _hex(local),
        "match": onchain == local,
    }
    obj.emit(
        data,
        f"{data['digest']}  ({'matches' if data['match'] else 'DIFFERS from'} this client's "
        f"{data['local_digest']})",
    )


__all__ = ["group", "parse_step", "parse_when"]
