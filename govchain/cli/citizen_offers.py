"""``govchain citizen offers``: the services departments offer me (免申即享), and accepting one
with my one signature (the department relays it; I pay nothing)."""

from __future__ import annotations

from typing import Any

import click
import coincurve
from eth_typing import ChecksumAddress

from govchain.cli import chainviews as cv
from govchain.cli.case import parse_when
from govchain.cli.citizen_data import IDENTITY
from govchain.cli.context import CliContext, pass_cli
from govchain.errors import GovchainError, InvalidInput, NotFound
from govchain.services.inbox import HeldOffer, OfferInbox

parent = "citizen"


def _inbox(obj: CliContext, identity: ChecksumAddress | None) -> OfferInbox:
    inbox = OfferInbox(cv.reader(obj), obj.account(), identity)
    inbox.check_control()
    return inbox


def _collect(
    inbox: OfferInbox, node: str | None, dept: bytes | None
) -> list[tuple[Any, HeldOffer | None, str | None]]:
    """(department, offer or None, error) for every active department's node (or one)."""
    out: list[tuple[Any, HeldOffer | None, str | None]] = []
    for view in inbox.departments():
        if view.status != cv.DEPARTMENT_ACTIVE or (dept is not None and view.code != dept):
            continue
        url = node if (node and dept is not None) else view.endpoint
        if not url:
            continue
        try:
            out.extend((view, held, None) for held in inbox.list_offers(url, view.code))
        except GovchainError as exc:
            out.append((view, None, str(exc)))
    return out


@click.group("offers", invoke_without_command=True)
@click.option("--dept", "dept", type=cv.DEPARTMENT, help="ask this department's node only")
@click.option("--node", "node_url", metavar="URL", help="its node [default: its endpoint]")
@IDENTITY
@pass_cli
@click.pass_context
def group(
    ctx: click.Context,
    obj: CliContext,
    dept: bytes | None,
    node_url: str | None,
    identity: ChecksumAddress | None,
) -> None:
    """Services offered to me without applying (免申即享); accept one with one signature."""
    if ctx.invoked_subcommand is not None:
        ctx.meta["offers"] = (dept, node_url, identity)
        return
    inbox = _inbox(obj, identity)
    rows = []
    for view, held, error in _collect(inbox, node_url, dept):
        row: dict[str, Any] = {"department": cv.code_text(view.code), "error": error}
        if held is not None:
            row |= held.as_dict()
        rows.append(row)
    data = {"identity": inbox.identity, "offers": rows}

    def text() -> str:
        lines = [f"offers to {inbox.identity}"]
        for r in rows:
            if r["error"]:
                lines.append(f"{r['department']:<10} unavailable: {r['error']}")
                continue
            what = r.get("service") or "(cannot be opened with this key)"
            lines.append(f"{r['department']:<10} {r['offer_id'][:18]}  {what:<18} {r['state']}")
            if r.get("consentText") and r["state"] == "offered":
                lines.append(f"           consent: {r['consentText']}")
        if not any(r.get("offer_id") for r in rows):
            lines.append("no department offers you a service now")
        return "\n".join(lines)

    obj.emit(data, text)


@group.command("accept")
@click.argument("offer_id")
@pass_cli
@click.pass_context
def accept(ctx: click.Context, obj: CliContext, offer_id: str) -> None:
    """Accept offer OFFER_ID (a unique prefix will do) with one AcceptOffer signature.

    The signed acceptance goes to the offering department's node; its relayer sends it, and
    the case is opened, decided by the service's rule and the benefit issued in one
    transaction. You send no transaction and pay nothing.
    """
    dept, node_url, identity = ctx.meta.get("offers", (None, None, None))
    if not offer_id.startswith("0x") or len(offer_id) < 6:
        raise InvalidInput("offer id", offer_id, "give 0x and at least 4 hex digits of it")
    inbox = _inbox(obj, identity)
    matches = [
        (view, held)
        for view, held, _error in _collect(inbox, node_url, dept)
        if held is not None and held.offer_id.startswith(offer_id.lower())
    ]
    if not matches:
        raise NotFound("offer", offer_id, "no department's node lists it for you")
    if len(matches) > 1:
        raise InvalidInput("offer id", offer_id, "matches several offers: give more digits")
    view, held = matches[0]
    if held.content is None:
        raise InvalidInput("offer", held.offer_id, held.error or "it cannot be opened")
    if held.state != "offered":
        raise InvalidInput("offer", held.offer_id, f"it is {held.state}, not open")
    url = node_url if (node_url and dept is not None) else view.endpoint
    answer = inbox.accept(str(url), view.code, held.content)
    data = {
        "offer_id": held.offer_id,
        "department": cv.code_text(view.code),
        "service": held.content.get("service"),
        "case_id": held.content.get("caseId"),
        "state": answer.get("state"),
    }
    obj.emit(
        data,
        f"accepted {data['service']} of {data['department']} (offer {held.offer_id[:18]}); "
        f"{data['department']} relays it as case {data['case_id']}",
    )


#: The ERC-1056 attribute of a did:ethr keyAgreement key, hex-encoded secp256k1.
ENCRYPTION_KEY_ATTRIBUTE = b"did/pub/Secp256k1/enc/hex".ljust(32, b"\0")


@group.command("publish-key")
@click.option("--valid", "valid", metavar="DURATION", default="365d", show_default=True)
@pass_cli
def publish_key(obj: CliContext, valid: str) -> None:
    """Publish my encryption key (the --key's public key) in my DID document, once, so that
    departments can seal offers to me; only I can open them (ERC-1056 attribute
    did/pub/Secp256k1/enc/hex, sent by the identity's owner key)."""
    account = obj.account()
    connection = obj.connection()
    registry = connection.contract("CitizenRegistry")
    identity = obj.account().address
    owner = registry.functions.identityOwner(identity).call()
    if owner != identity:
        raise InvalidInput("key", identity, f"does not own identity {identity} (owner {owner})")
    now = int(connection.w3.eth.get_block("latest")["timestamp"])
    validity = parse_when(valid, now) - now
    public = coincurve.PrivateKey(account.key).public_key.format(compressed=True)
    receipt = obj.sender().transact(
        registry.functions.setAttribute(identity, ENCRYPTION_KEY_ATTRIBUTE, public, validity)
    )
    tx = receipt["transactionHash"].to_0x_hex()
    obj.emit(
        {
            "identity": identity,
            "public_key": "0x" + public.hex(),
            "valid_s": validity,
            "tx_hash": tx,
        },
        f"encryption key 0x{public.hex()} published for {identity} ({tx})",
    )
