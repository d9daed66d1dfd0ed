"""``govchain case``: approval cases routed through departments, decided by e-signatures.

Staff open a case over the Merkle root of its e-documents; each step's approvers sign the
decision off chain (``case sign`` writes a portable JSON file) and anyone relays the files
(``case submit``), or approvers vote on chain (``case decide``). Thin over
:mod:`govchain.approval.cases`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click

from govchain.approval import ZERO_ADDRESS, CaseTerms, domain
from govchain.approval.cases import (
    SignedDecision,
    code_text,
    documents_root,
    sign_decision,
)
from govchain.cli.case_params import (
    DEPARTMENT,
    ZERO32,
    comment_options,
    commitment,
    hex0x,
    parse_step,
    parse_when,
    salt_note,
    salted,
    verdict_of,
    verdict_option,
)
from govchain.cli.case_params import cases_client as cases_of
from govchain.cli.case_views import hash_decision, list_cases, show, status_fields, status_text
from govchain.cli.context import CliContext, pass_cli
from govchain.cli.params import ADDRESS, BYTES32
from govchain.errors import InvalidInput
from govchain.network import read_deployment


@click.group("case")
def group() -> None:
    """Approval cases: open, sign, submit, decide, show, list, withdraw, expire, hash."""


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
    cases = cases_of(obj, signing=True)
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
        "documents_hash": hex0x(terms.documents_hash),
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
        data["salt"] = hex0x(documents.salt)

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
    verdict = verdict_of(approve)
    if wallet and safe:
        raise click.UsageError("give --wallet or --as-safe, not both")
    digest, kept = commitment(comment, comment_hash, comment_salt)
    if offline:
        signed = _sign_offline(obj, case_id, verdict, digest, deadline, step, wallet, safe)
    else:
        cases = cases_of(obj)
        account = obj.account()
        until = parse_when(deadline, cases.now()) if deadline else None
        signed = cases.sign(account, case_id, verdict, digest, until, step, wallet, safe)
    # the salt travels with the signed decision (off chain), never the chain
    document = json.dumps({**signed.as_dict(), **salted(kept)}, indent=2) + "\n"
    if out is None:
        click.echo(document, nl=False)
        return
    try:
        out.write_text(document)
    except OSError as exc:
        raise InvalidInput("output file", str(out), exc.strerror or str(exc)) from None
    obj.emit(
        {"file": str(out), **signed.as_dict(), **salted(kept)},
        f"{_who(signed)} signed {'approval' if verdict else 'rejection'} of step {signed.step} "
        f"of case {hex0x(case_id)} -> {out}{salt_note(kept)}",
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
    cases = cases_of(obj, signing=True)
    sent = cases.submit(case_id, decisions)
    state = cases.state(case_id, history=False)
    data = {
        **sent.as_dict(),
        "step": step,
        "signers": len({d.signer for d in decisions}),
        **status_fields(state),
    }
    obj.emit(data, f"step {step} decided in {sent.tx_hash}; case is {status_text(state)}")


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
    verdict = verdict_of(approve)
    digest, kept = commitment(comment, comment_hash, comment_salt)
    cases = cases_of(obj, signing=True)
    sent = cases.decide(case_id, verdict, digest)
    state = cases.state(case_id, history=False)
    data = {**sent.as_dict(), "approve": verdict, **salted(kept), **status_fields(state)}
    obj.emit(data, f"voted in {sent.tx_hash}; case is {status_text(state)}{salt_note(kept)}")


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
    digest, kept = commitment(reason, reason_hash, reason_salt, "reason")
    sent = cases_of(obj, signing=True).withdraw(case_id, digest)
    obj.emit(
        {**sent.as_dict(), "status": "withdrawn", **salted(kept, "reason")},
        f"withdrawn in {sent.tx_hash}{salt_note(kept, 'reason')}",
    )


@group.command("expire")
@click.argument("case_id", metavar="CASE", type=BYTES32)
@pass_cli
def expire(obj: CliContext, case_id: bytes) -> None:
    """Close an open case whose open step passed its deadline (anyone, --key pays)."""
    sent = cases_of(obj, signing=True).expire(case_id)
    obj.emit({**sent.as_dict(), "status": "expired"}, f"expired in {sent.tx_hash}")


group.add_command(show)
group.add_command(list_cases)
group.add_command(hash_decision)

__all__ = ["group", "parse_step", "parse_when"]
