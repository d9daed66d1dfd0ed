"""``govchain council``: the platform council's proposals, approvals and execution.

A member proposes a department action (admit, suspend, reinstate, retire, replace-admin,
remove-member, mark-compromised); other members approve on chain (``approve ID``) or sign off
chain (``sign ID``, no gas) and anyone submits the collected signatures (``approve ID
--signature SIGNER:SIG ...``); once enough members with a voting seat (an ADMIN key of an Active
department) approved, anyone executes it. A member withdraws its approval (``withdraw ID``); the
proposer cancels its proposal (``cancel ID``).
"""

from __future__ import annotations

from collections.abc import Callable

import click

from govchain.cli.context import CliContext, pass_cli
from govchain.cli.identity_params import DEPARTMENT, TIME, When, account, tx_text
from govchain.cli.params import ADDRESS, BYTES32
from govchain.identity.base import hex32
from govchain.identity.council import Call, Council, Proposal, SignedApproval

DEFAULT_EXPIRY = "7d"


@click.group("council")
def group() -> None:
    """The platform council: propose, approve (on chain or by signature), execute."""


def _reader(obj: CliContext) -> Council:
    return Council(obj.connection())


def _writer(obj: CliContext) -> Council:
    return Council(obj.connection(), obj.sender())


def _proposal_text(p: Proposal) -> str:
    lines = [
        f"proposal   {hex32(p.id)}",
        f"action     {p.description}",
        f"state      {p.state} ({p.approvals} of {p.threshold} approvals)",
        f"expires    {p.as_dict()['expires_at']}",
        f"proposer   {p.proposer}",
    ]
    lines += [f"approved   {a}" for a in p.approvers]
    return "\n".join(lines)


# --- reads ----------------------------------------------------------------------------------


@group.command("members")
@pass_cli
def members(obj: CliContext) -> None:
    """The council's members and the approvals a proposal needs."""
    council = _reader(obj)
    found, threshold = council.members(), council.threshold()
    obj.emit(
        {"members": found, "threshold": threshold},
        "\n".join(found) + f"\nthreshold {threshold} of {len(found)}",
    )


@group.command("list")
@click.option("--open", "only_open", is_flag=True, help="only proposals still open or ready")
@pass_cli
def list_proposals(obj: CliContext, only_open: bool) -> None:
    """Every proposal, oldest first: id, state, approvals, action."""
    found = _reader(obj).proposals()
    if only_open:
        found = [p for p in found if p.state in ("open", "ready")]
    if not found and not obj.json:
        click.echo("no proposals")
        return
    obj.emit(
        [p.as_dict() for p in found],
        lambda: "\n".join(
            f"{hex32(p.id)}  {p.state:<8} {p.approvals}/{p.threshold}  {p.description}"
            for p in found
        ),
    )


@group.command("show")
@click.argument("proposal_id", metavar="ID", type=BYTES32)
@pass_cli
def show(obj: CliContext, proposal_id: bytes) -> None:
    """One proposal: action, state, approvals and who approved, expiry."""
    proposal = _reader(obj).proposal(proposal_id)
    obj.emit(proposal.as_dict(), lambda: _proposal_text(proposal))


# --- propose --------------------------------------------------------------------------------


@group.group("propose")
def propose() -> None:
    """Propose a department action (the --key must be a council member)."""


def _propose(obj: CliContext, build: Callable[[Council], Call], expires: When) -> None:
    council = _writer(obj)
    call = build(council)
    expiry = expires.resolve(council.now())
    made = council.propose(call, expiry)
    data = {**made.as_dict(), "action": call.description, "expiry": expiry}
    obj.emit(data, tx_text(made.sent, f"proposal {hex32(made.id)}: {call.description}"))


_EXPIRES = click.option(
    "--expires",
    type=TIME,
    default=DEFAULT_EXPIRY,
    show_default=True,
    help="when the proposal lapses: 7d, 12h, a unix time or an ISO date (at most 30 days)",
)


def _status_command(action: str, help_text: str) -> None:
    @propose.command(action, help=help_text)
    @click.argument("code", type=DEPARTMENT)
    @_EXPIRES
    @pass_cli
    def command(obj: CliContext, code: bytes, expires: When) -> None:
        _propose(obj, lambda c: c.actions.status_change(action, code), expires)


_status_command("admit", "Admit a Proposed department CODE (Proposed -> Active).")
_status_command("suspend", "Suspend department CODE: its members lose every right at once.")
_status_command("reinstate", "Reinstate a Suspended department CODE.")
_status_command("retire", "Retire department CODE for good.")


@propose.command("replace-admin")
@click.argument("code", type=DEPARTMENT)
@click.option("--new", "new_admin", required=True, metavar="ADDRESS|KEY", help="the new ADMIN key")
@click.option("--old", "old_admin", metavar="ADDRESS|KEY", help="the lost admin key to remove")
@_EXPIRES
@pass_cli
def replace_admin(
    obj: CliContext, code: bytes, new_admin: str, old_admin: str | None, expires: When
) -> None:
    """Replace department CODE's admin key (a lost or compromised key)."""
    new = account(obj, new_admin)
    old = account(obj, old_admin) if old_admin else None
    _propose(obj, lambda c: c.actions.replace_admin(code, old, new), expires)


# --- approve, sign, execute -----------------------------------------------------------------


@propose.command("remove-member")
@click.argument("who", metavar="ADDRESS|KEY")
@_EXPIRES
@pass_cli
def remove_member(obj: CliContext, who: str, expires: When) -> None:
    """Remove a key from its department, whatever its status (clean up a suspended one)."""
    target = account(obj, who)
    _propose(obj, lambda c: c.actions.remove_member(target), expires)


@propose.command("mark-compromised")
@click.argument("who", metavar="ADDRESS|KEY")
@_EXPIRES
@pass_cli
def mark_compromised(obj: CliContext, who: str, expires: When) -> None:
    """Mark a key compromised: removed from its department, it can never join one again."""
    target = account(obj, who)
    _propose(obj, lambda c: c.actions.mark_compromised(target), expires)


@group.command("approve")
@click.argument("proposal_id", metavar="ID", type=BYTES32)
@click.option(
    "--signature",
    "signatures",
    multiple=True,
    metavar="SIGNER[:OWNER]:SIG",
    help="submit a member's off-chain approval (from 'council sign'); repeatable; a Safe "
    "member's owners' parts (SAFE:OWNER:SIG) are joined into the Safe's signature",
)
@pass_cli
def approve(obj: CliContext, proposal_id: bytes, signatures: tuple[str, ...]) -> None:
    """Approve proposal ID as the --key member, or submit collected signatures (anyone)."""
    council = _writer(obj)
    if signatures:
        approvals = [SignedApproval.parse(proposal_id, s) for s in signatures]
        sent = council.approve_by_sig(proposal_id, approvals)
        signers = list(dict.fromkeys(a.signer for a in approvals))
        obj.emit(
            {"id": hex32(proposal_id), "approvers": signers, **sent.as_dict()},
            tx_text(sent, f"{len(signers)} signed approval(s) of {hex32(proposal_id)} recorded"),
        )
        return
    sent = council.approve(proposal_id)
    member = obj.account().address
    obj.emit(
        {"id": hex32(proposal_id), "approvers": [member], **sent.as_dict()},
        tx_text(sent, f"{member} approved {hex32(proposal_id)}"),
    )


@group.command("sign")
@click.argument("proposal_id", metavar="ID", type=BYTES32)
@click.option(
    "--as-safe",
    "safe",
    type=ADDRESS,
    help="sign as one owner of this Safe council member (prints SAFE:OWNER:SIG)",
)
@pass_cli
def sign(obj: CliContext, proposal_id: bytes, safe: str | None) -> None:
    """Sign an approval of proposal ID off chain (no transaction); prints SIGNER:SIG."""
    council = _reader(obj)
    signed = council.sign(proposal_id, obj.account(), safe)
    obj.emit({**signed.as_dict(), "token": signed.token()}, signed.token())


@group.command("execute")
@click.argument("proposal_id", metavar="ID", type=BYTES32)
@pass_cli
def execute(obj: CliContext, proposal_id: bytes) -> None:
    """Execute proposal ID once enough members approved it (anyone may)."""
    council = _writer(obj)
    proposal = council.proposal(proposal_id)
    sent = council.execute(proposal_id)
    obj.emit(
        {"id": hex32(proposal_id), "action": proposal.description, **sent.as_dict()},
        tx_text(sent, f"executed {hex32(proposal_id)}: {proposal.description}"),
    )


@group.command("cancel")
@click.argument("proposal_id", metavar="ID", type=BYTES32)
@pass_cli
def cancel(obj: CliContext, proposal_id: bytes) -> None:
    """Cancel proposal ID (the --key must be its proposer, holding a voting seat)."""
    sent = _writer(obj).cancel(proposal_id)
    obj.emit(
        {"id": hex32(proposal_id), "state": "cancelled", **sent.as_dict()},
        tx_text(sent, f"cancelled {hex32(proposal_id)}"),
    )


@group.command("withdraw")
@click.argument("proposal_id", metavar="ID", type=BYTES32)
@pass_cli
def withdraw(obj: CliContext, proposal_id: bytes) -> None:
    """Withdraw the --key member's approval of proposal ID (its signed approvals lapse too)."""
    sent = _writer(obj).withdraw_approval(proposal_id)
    member = obj.account().address
    obj.emit(
        {"id": hex32(proposal_id), "member": member, **sent.as_dict()},
        tx_text(sent, f"{member} withdrew its approval of {hex32(proposal_id)}"),
    )
