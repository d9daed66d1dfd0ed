"""``govchain vc``: verify a credential of an attestation, or disclose fewer of its fields."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from govchain.cli.context import CliContext, pass_cli


def _load(path: Path, verifying: bool = False) -> Any:
    from govchain.errors import InvalidInput
    from govchain.files import parse_json
    from govchain.interop.vc import CredentialNotVerified, CredentialRefused

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput("credential file", str(path), exc.strerror or str(exc)) from None
    try:
        return parse_json(raw, "credential file", str(path), expect=None, fractions=True)
    except InvalidInput as exc:
        refused = CredentialNotVerified if verifying else CredentialRefused
        raise refused(f"the file is {exc.reason}") from None


@click.group("vc")
def group() -> None:
    """W3C Verifiable Credentials of attestations ('attest export' makes them)."""


@group.command("verify")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_cli
def verify(obj: CliContext, file: Path) -> None:
    """Check a credential: disclosed fields against their commitments, the EIP-712 proof, and
    on chain the attestation, the signer's membership of the issuer with a role the schema lets
    attest (at the credential's block and still at the latest block, in an Active department,
    never marked compromised), revocation and expiry. Exit 1 with NOT VERIFIED and the reason
    if it must not be relied on (a departed member's credential: a current member re-exports
    it)."""
    from govchain.interop.vc import verify as check

    result = check(obj.connection(), _load(file, verifying=True))
    obj.emit(
        result,
        lambda: (
            f"VALID: {result['department']} attests {result['attestation']} about "
            f"{result['subject']}; signed by {result['signer']} (a member with the attesting "
            f"role {result['signer_roles']} at block {result['issued_block']} and still at block "
            f"{result['checked_block']}); disclosed: "
            f"{', '.join(result['disclosed']) or 'none'}"
        ),
    )


@group.command("disclose")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--only", "keep", multiple=True, metavar="NAME", help="field to keep (repeat)")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_cli
def disclose(obj: CliContext, file: Path, keep: tuple[str, ...], out: Path) -> None:
    """Write a copy of a credential disclosing only the --only fields (no key, no network:
    the proof signs the commitments, so it stays valid)."""
    from govchain.errors import InvalidInput
    from govchain.interop.vc import disclose as redact

    smaller = redact(_load(file), set(keep))
    try:
        out.write_text(json.dumps(smaller, indent=1, ensure_ascii=False) + "\n")
    except OSError as exc:
        raise InvalidInput("credential file", str(out), exc.strerror or str(exc)) from None
    shown = sorted(smaller["credentialSubject"]["fields"])
    obj.emit(
        {"file": str(out), "disclosed": shown},
        lambda: f"{out}: discloses {', '.join(shown) or 'nothing'}",
    )
