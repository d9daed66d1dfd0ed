"""``govchain share``: requests for conditional data without a personal subject (有条件共享).

The grantee's STAFF files a request; an APPROVER of the owner approves it (which creates an
OWNER_APPROVAL grant) or rejects it before its decision deadline.
"""

from __future__ import annotations

import click

from govchain.cli.context import CliContext, pass_cli
from govchain.cli.params import BYTES32
from govchain.cli.sharing_params import (
    CATEGORY,
    DEPARTMENT,
    TIME,
    TimeValue,
    share_requests,
    tx_line,
)
from govchain.cli.trail_params import purposes
from govchain.errors import InvalidInput
from govchain.sharing.base import ROLE_STAFF, code_name, hex0x, iso
from govchain.sharing.grants import ShareRequestTerms, new_nonce
from govchain.sharing.purposes import commit_purpose

STATUSES = ("pending", "approved", "rejected", "expired")


@click.group("share")
def group() -> None:
    """Share requests: ask another department for its conditional data."""


@group.command("request")
@click.option("--owner", type=DEPARTMENT, required=True, help="department owning the data")
@click.option(
    "--category",
    "categories",
    type=CATEGORY,
    multiple=True,
    required=True,
    help="CONDITIONAL category of the owner (repeat)",
)
@click.option(
    "--purpose",
    required=True,
    help="purpose in words (only its salted commitment goes on chain; kept in the purpose book)",
)
@click.option("--from", "valid_from", type=TIME, default="now", help="grant starts [now]")
@click.option("--until", "valid_until", type=TIME, required=True, help="grant ends: date or 90d")
@click.option("--max-uses", type=click.IntRange(0, 2**32 - 1), default=0, help="0 = no limit")
@click.option("--deadline", type=TIME, default="14d", help="decide before this [14d]")
@click.option("--nonce", type=click.IntRange(0, 2**256 - 1), help="default: random")
@pass_cli
def request(
    obj: CliContext,
    owner: str,
    categories: tuple[str, ...],
    purpose: str,
    valid_from: TimeValue,
    valid_until: TimeValue,
    max_uses: int,
    deadline: TimeValue,
    nonce: int | None,
) -> None:
    """File a request as STAFF (--key) of the grantee department."""
    client = share_requests(obj, signing=True)
    dept = client.grants.departments.department_of(
        obj.account().address, ROLE_STAFF, "STAFF member"
    )
    now = client.grants.now()
    if not purpose.strip():
        raise InvalidInput("purpose", purpose, "must not be empty")
    commitment, salt = commit_purpose(purpose)
    terms = ShareRequestTerms(
        grantee=code_name(dept),
        owner=owner,
        categories=tuple(dict.fromkeys(categories)),
        purpose_hash=commitment,
        valid_from=valid_from.resolve(now),
        valid_until=valid_until.resolve(now),
        decision_deadline=deadline.resolve(now),
        max_uses=max_uses,
        nonce=new_nonce() if nonce is None else nonce,
    )
    created = client.file(terms)
    purposes(obj).add(purpose, salt)
    data = {**created.as_dict("request_id"), "terms": terms.as_dict()}
    obj.emit(
        data,
        tx_line(f"request {data['request_id']} filed with {owner}", data)
        + f"\nan APPROVER of {owner} decides before {iso(terms.decision_deadline)}",
    )


@group.command("approve")
@click.argument("request_id", type=BYTES32)
@pass_cli
def approve(obj: CliContext, request_id: bytes) -> None:
    """Approve REQUEST_ID as an APPROVER of the owner: creates the grant."""
    created = share_requests(obj, signing=True).approve(request_id)
    data = created.as_dict("request_id")
    obj.emit(data, tx_line(f"request approved: grant {data['grant_id']}", data))


@group.command("reject")
@click.argument("request_id", type=BYTES32)
@click.option(
    "--reason",
    required=True,
    help="reason in words (only its salted commitment goes on chain; kept in the purpose book)",
)
@pass_cli
def reject(obj: CliContext, request_id: bytes, reason: str) -> None:
    """Reject REQUEST_ID as an APPROVER of the owner."""
    if not reason.strip():
        raise InvalidInput("reason", reason, "must not be empty")
    commitment, salt = commit_purpose(reason)
    tx = share_requests(obj, signing=True).reject(request_id, commitment)
    purposes(obj).add(reason, salt)
    data = {
        "request_id": hex0x(request_id),
        **tx.as_dict(),
        "reason_hash": hex0x(commitment),
        "reason_salt": hex0x(salt),
    }
    obj.emit(data, tx_line(f"request {data['request_id']} rejected", data))


@group.command("list")
@click.option("--owner", type=DEPARTMENT, help="requests to this department")
@click.option("--grantee", type=DEPARTMENT, help="requests from this department")
@click.option("--status", type=click.Choice(STATUSES, case_sensitive=False))
@pass_cli
def list_(obj: CliContext, owner: str | None, grantee: str | None, status: str | None) -> None:
    """Share requests (from their events) with their status, oldest first."""
    found = share_requests(obj).list_requests(owner, grantee, status.upper() if status else None)

    def text() -> str:
        if not found:
            return "no requests"
        return "\n".join(
            f"{hex0x(r.request_id)}  {r.status:<9} {r.terms.grantee}->{r.terms.owner}  "
            f"{','.join(r.terms.categories)}  decide by {iso(r.terms.decision_deadline)}"
            for r in found
        )

    obj.emit([r.as_dict() for r in found], text)
