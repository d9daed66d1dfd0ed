"""``govchain attest export``: a W3C Verifiable Credential of an attestation (see ``vc``)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from govchain.cli.context import CliContext, pass_cli

#: Nests under ``govchain attest``.
parent = "attest"


@click.command("export")
@click.argument("uid")
@click.option(
    "--vc",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="file to write the credential to",
)
@click.option(
    "--field",
    "fields",
    multiple=True,
    metavar="NAME=VALUE",
    help="a fact the attestation stands for (repeat); each gets its own salted commitment",
)
@click.option(
    "--disclose",
    multiple=True,
    metavar="NAME",
    help="disclose only these fields (repeat) [default: all]; 'vc disclose' drops more later",
)
@pass_cli
def group(
    obj: CliContext, uid: str, out: Path, fields: tuple[str, ...], disclose: tuple[str, ...]
) -> None:
    """Write a credential of attestation UID, signed (EIP-712) by --key, an active member of the
    issuing department with a role the schema lets attest: issuer the department, subject the
    citizen's did:ethr."""
    from govchain import validate
    from govchain.errors import InvalidInput
    from govchain.interop.vc import issue

    values: dict[str, str] = {}
    for item in fields:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.UsageError(f"--field {item!r}: expected NAME=VALUE")
        if name in values:
            raise click.UsageError(f"--field {name} given twice")
        values[name.strip()] = value
    if not values:
        raise click.UsageError("give at least one --field NAME=VALUE")
    raw = validate.bytes32(uid, "attestation uid")
    vc = issue(obj.connection(), obj.account(), raw, values, set(disclose) if disclose else None)
    try:
        out.write_text(json.dumps(vc, indent=1, ensure_ascii=False) + "\n")
    except OSError as exc:
        raise InvalidInput("credential file", str(out), exc.strerror or str(exc)) from None
    data = {
        "file": str(out),
        "issuer": vc["issuer"]["id"],
        "subject": vc["credentialSubject"]["id"],
        "disclosed": sorted(vc["credentialSubject"]["fields"]),
        "withheld": sorted(set(values) - set(vc["credentialSubject"]["fields"])),
    }
    obj.emit(data, lambda: f"credential of {uid} written to {out} (issuer {data['issuer']})")
