"""``govchain case show``, ``case list`` and ``case hash``: reading cases and their trail
(split from :mod:`govchain.cli.case`; the commands are added to its group)."""

from __future__ import annotations

from typing import Any

import click

from govchain.approval import CaseStatus
from govchain.approval.cases import CaseEvent, CaseState, code_text, when
from govchain.approval.messages import ANY_SIGNER
from govchain.cli.case_params import (
    DEPARTMENT,
    ZERO32,
    comment_options,
    commitment,
    hex0x,
    parse_when,
    salted,
    verdict_of,
    verdict_option,
)
from govchain.cli.case_params import cases_client as cases_of
from govchain.cli.context import CliContext, pass_cli
from govchain.cli.params import ADDRESS, BYTES32
from govchain.errors import InvalidInput


def status_fields(state: CaseState) -> dict[str, Any]:
    return {
        "status": state.status.name.lower(),
        "current_step": state.current_step,
        "outcome": hex0x(state.outcome),
    }


def status_text(state: CaseState) -> str:
    if state.status == CaseStatus.OPEN:
        step = state.open_step
        return (
            f"open at step {state.current_step} ({code_text(step.department)}, "
            f"{step.threshold} approver(s) by {when(step.deadline)})"
        )
    return state.status.name.lower()


@click.command("show")
@click.argument("case_id", metavar="CASE", type=BYTES32)
@pass_cli
def show(obj: CliContext, case_id: bytes) -> None:
    """A case's whole state: status, route, applicant, documents, outcome and its events."""
    state = cases_of(obj).state(case_id)
    data = state.as_dict()

    def text() -> str:
        applicant = data["applicant_citizen"] or data["applicant_department"]
        lines = [
            f"case       {data['case_id']}",
            f"status     {status_text(state)}",
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
            lines.append(f"  block {e.block}  {event_text(e, e.tx_hash in voted_in)}")
        return "\n".join(lines)

    obj.emit(data, text)


def event_text(event: CaseEvent, by_votes: bool = False) -> str:
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


@click.command("list")
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
    cases = cases_of(obj)
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


@click.command("hash")
@click.argument("case_id", metavar="CASE", type=BYTES32)
@click.argument("step", type=int)
@verdict_option
@comment_options("comment", "the comment whose salted commitment is signed")
@click.option("--deadline", required=True, metavar="WHEN", help="the decision's deadline")
@click.option(
    "--wallet",
    "signer",
    type=ADDRESS,
    default=ANY_SIGNER,
    show_default="none: the Decision every approver's key signs",
    help="an ERC-1271 approver wallet: the Decision naming it, which the wallet must accept",
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
    """The EIP-712 digest approvers' keys sign (--wallet: a wallet's): contract's and client's."""
    verdict = verdict_of(approve)
    digest, kept = commitment(comment, comment_hash, comment_salt)
    if not 0 <= step <= 255:
        raise InvalidInput("step", step, "0 to 255")
    cases = cases_of(obj)
    until = parse_when(deadline, cases.now())
    onchain = cases.decision_hash(case_id, step, verdict, digest, signer, until)
    local = cases.local_digest(case_id, step, verdict, digest, signer, until)
    data = {
        "case_id": hex0x(case_id),
        "step": step,
        "approve": verdict,
        "comment_hash": hex0x(digest),
        **salted(kept),
        "signer": signer,
        "wallet": signer != ANY_SIGNER,
        "deadline": until,
        "contract": cases.address,
        "chain_id": cases.connection.chain_id,
        "digest": hex0x(onchain),
        "local_digest": hex0x(local),
        "match": onchain == local,
    }
    obj.emit(
        data,
        f"{data['digest']}  ({'matches' if data['match'] else 'DIFFERS from'} this client's "
        f"{data['local_digest']})",
    )
