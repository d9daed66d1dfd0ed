"""``govchain citizen attribute``: the identity's ERC-1056 attributes (the keys and services of
its did:ethr document), set or revoked by the owner key, or signed by a Safe's owners and
relayed by anyone (``setAttributeSigned``, ``revokeAttributeSigned``)."""

from __future__ import annotations

from pathlib import Path

import click

from govchain.cli.citizen_common import IDENTITY_OPTION, sign_or_send, signed_options, writer
from govchain.cli.context import CliContext, pass_cli
from govchain.cli.identity_params import DURATION, When, own_address, tx_text
from govchain.identity.citizen_signed import revoke_attribute, set_attribute
from govchain.identity.citizen_types import attribute_name, attribute_value
from govchain.interop.did import did_of, resolve


@click.group("attribute")
def attribute() -> None:
    """The identity's public attributes (did:ethr keys and services): never personal data."""


@attribute.command("set")
@click.argument("name", metavar="NAME")
@click.argument("value", metavar="VALUE")
@click.option("--for", "validity", type=DURATION, required=True, help="how long: 365d, 12h...")
@IDENTITY_OPTION
@signed_options
@pass_cli
def attribute_set(
    obj: CliContext,
    name: str,
    value: str,
    validity: int,
    identity: str | None,
    safe: str | None,
    deadline: When,
    out: Path | None,
    signatures: tuple[str, ...],
) -> None:
    """Publish NAME (text such as did/svc/HubService, or 0x + 32 bytes) = VALUE (0x-hex or
    text) for --for; public on chain."""
    raw_name, raw_value = attribute_name(name), attribute_value(value)
    done = sign_or_send(
        obj,
        identity,
        set_attribute(raw_name, raw_value, validity),
        safe,
        deadline,
        signatures,
        out,
        lambda c, address: c.set_attribute(raw_name, raw_value, validity, address),
    )
    if done is not None:
        obj.emit(
            {**done.as_dict(), "name": name, "value": "0x" + raw_value.hex(), "validity": validity},
            tx_text(done.sent, f"attribute {name} of {done.identity} set for {validity}s"),
        )


@attribute.command("revoke")
@click.argument("name", metavar="NAME")
@click.argument("value", metavar="VALUE")
@IDENTITY_OPTION
@signed_options
@pass_cli
def attribute_revoke(
    obj: CliContext,
    name: str,
    value: str,
    identity: str | None,
    safe: str | None,
    deadline: When,
    out: Path | None,
    signatures: tuple[str, ...],
) -> None:
    """End attribute NAME = VALUE of the identity now."""
    raw_name, raw_value = attribute_name(name), attribute_value(value)
    done = sign_or_send(
        obj,
        identity,
        revoke_attribute(raw_name, raw_value),
        safe,
        deadline,
        signatures,
        out,
        lambda c, address: c.revoke_attribute(raw_name, raw_value, address),
    )
    if done is not None:
        obj.emit(
            {**done.as_dict(), "name": name, "value": "0x" + raw_value.hex()},
            tx_text(done.sent, f"attribute {name} of {done.identity} revoked"),
        )


@attribute.command("clean")
@IDENTITY_OPTION
@pass_cli
def attribute_clean(obj: CliContext, identity: str | None) -> None:
    """End every attribute an earlier owner key set and the current owner has not set again
    (after a key rotation or a recovery), so stock did:ethr resolvers stop listing them too."""
    address = own_address(obj, identity, "the owner signs")
    connection = obj.connection()
    resolved = resolve(connection, did_of(connection.chain_id, address))
    stale = resolved["didResolutionMetadata"].get("govchainWithheldAttributes", [])
    if not stale:
        obj.emit(
            {"identity": address, "revoked": []},
            f"nothing to clean: every live attribute of {address} was set by its current owner",
        )
        return
    citizens = writer(obj)
    revoked = []
    for entry in stale:
        sent = citizens.revoke_attribute(
            attribute_name(entry["name"]), bytes.fromhex(entry["value"][2:]), address
        )
        revoked.append({"name": entry["name"], "value": entry["value"], **sent.as_dict()})
    lines = [f"revoked {len(revoked)} attribute(s) an earlier owner of {address} had set:"]
    lines += [f"  {r['name']} = {r['value']} (tx {r['tx_hash']})" for r in revoked]
    obj.emit({"identity": address, "revoked": revoked}, "\n".join(lines))
