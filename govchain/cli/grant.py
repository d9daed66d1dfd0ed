"""``govchain grant``: grants of data access, given directly, by signed consent, or by statute.

A citizen signs a consent off line (``grant sign --key me``) and hands the file to the grantee
department, whose staff relays it (``grant submit``): the citizen pays nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
from eth_typing import ChecksumAddress

from govchain.cli.context import CliContext, pass_cli
from govchain.cli.params import ADDRESS, BYTES32
from govchain.cli.sharing_params import (
    CATEGORY,
    DEPARTMENT,
    TIME,
    TimeValue,
    grants,
    tx_line,
)
from govchain.cli.trail_params import purposes
from govchain.errors import InvalidInput
from govchain.sharing.base import hex0x, iso
from govchain.sharing.catalog import LegalBasis
from govchain.sharing.consent_safe import submit_safe_consent
from govchain.sharing.grants import (
    AccessGrants,
    GrantInfo,
    GrantTerms,
    SignedConsent,
    new_nonce,
)
from govchain.sharing.purposes import Purpose, commit_purpose, purpose_commitment


@click.group("grant")
def group() -> None:
    """Grants: who may use which data of whom, why, until when."""


def _terms_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--grantee", type=DEPARTMENT, required=True, help="department granted"),
        click.option("--owner", type=DEPARTMENT, required=True, help="department owning the data"),
        click.option(
            "--category",
            "categories",
            type=CATEGORY,
            multiple=True,
            required=True,
            help="category granted (repeat); the owner's code = its non-sensitive categories",
        ),
        click.option(
            "--purpose",
            help="purpose in words (only its salted commitment goes on chain; text and salt "
            "are kept in the home's purpose book)",
        ),
        click.option("--purpose-hash", type=BYTES32, help="the purpose commitment itself"),
        click.option("--from", "valid_from", type=TIME, default="now", help="start [now]"),
        click.option("--until", "valid_until", type=TIME, required=True, help="end: date or 30d"),
        click.option(
            "--max-uses", type=click.IntRange(0, 2**32 - 1), default=0, help="0 = no limit"
        ),
        click.option("--nonce", type=click.IntRange(0, 2**256 - 1), help="default: random"),
        click.option(
            "--subject", type=ADDRESS, help="citizen identity [default: the --key address]"
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _purpose(purpose: str | None, digest: bytes | None) -> tuple[bytes, str, bytes | None]:
    """The purpose commitment, its text and salt (a fresh salt for a text; none for a hash)."""
    if (purpose is None) == (digest is None):
        raise click.UsageError("give --purpose TEXT or --purpose-hash 0x..")
    if purpose is not None:
        if not purpose.strip():
            raise InvalidInput("purpose", purpose, "must not be empty")
        commitment, salt = commit_purpose(purpose)
        return commitment, purpose, salt
    assert digest is not None
    return digest, "", None


def _keep_purpose(obj: CliContext, text: str, salt: bytes | None) -> None:
    """File the purpose text and its salt in the home's purpose book (never on chain)."""
    if text:
        purposes(obj).add(text, salt)


def _build_terms(
    client: AccessGrants,
    basis: LegalBasis,
    subject: str,
    grantee: str,
    owner: str,
    categories: tuple[str, ...],
    purpose_digest: bytes,
    valid_from: TimeValue,
    valid_until: TimeValue,
    max_uses: int,
    nonce: int | None,
) -> GrantTerms:
    now = client.now()
    return GrantTerms(
        subject=subject,
        grantee=grantee,
        owner=owner,
        categories=tuple(dict.fromkeys(categories)),
        purpose_hash=purpose_digest,
        basis=basis,
        valid_from=valid_from.resolve(now),
        valid_until=valid_until.resolve(now),
        max_uses=max_uses,
        nonce=new_nonce() if nonce is None else nonce,
    )


def _purpose_text(known: Purpose | None) -> str:
    if known is None:
        return "  (text not known here)"
    legacy = "  (legacy grant: unsalted hash of the text)" if known.legacy else ""
    return f"  {known.text!r}{legacy}"


def _grant_text(info: GrantInfo, known: Purpose | None = None) -> str:
    t = info.terms
    lines = [
        f"grant       {hex0x(info.grant_id)}",
        f"status      {info.status}",
        f"basis       {t.basis.name}",
        f"subject     {t.subject}",
        f"grantee     {t.grantee}",
        f"owner       {t.owner}",
        f"categories  {', '.join(t.categories)}",
        f"purpose     {hex0x(t.purpose_hash)}{_purpose_text(known)}",
        f"valid       {iso(t.valid_from)} .. {iso(t.valid_until)}",
        f"uses        {info.uses}" + (f" of {t.max_uses}" if t.max_uses else " (no limit)"),
        f"grantor     {info.grantor}",
        f"created     block {info.block_number} (transaction {info.tx_hash})",
    ]
    if info.revoked_by:
        lines.append(f"revoked by  {info.revoked_by}")
    return "\n".join(lines)


@group.command("give")
@_terms_options
@click.option(
    "--statutory",
    is_flag=True,
    help="STATUTORY_DUTY grant (PIPL art. 13) by an APPROVER of the owner; needs --subject",
)
@pass_cli
def give(
    obj: CliContext,
    grantee: str,
    owner: str,
    categories: tuple[str, ...],
    purpose: str | None,
    purpose_hash: bytes | None,
    valid_from: TimeValue,
    valid_until: TimeValue,
    max_uses: int,
    nonce: int | None,
    subject: ChecksumAddress | None,
    statutory: bool,
) -> None:
    """Give a grant directly: as the citizen (--key, pays gas) or, --statutory, as an APPROVER."""
    digest, text, salt = _purpose(purpose, purpose_hash)
    if statutory and subject is None:
        raise click.UsageError("a --statutory grant names its --subject")
    client = grants(obj, signing=True)
    basis = LegalBasis.STATUTORY_DUTY if statutory else LegalBasis.CONSENT
    terms = _build_terms(
        client,
        basis,
        subject or obj.account().address,
        grantee,
        owner,
        categories,
        digest,
        valid_from,
        valid_until,
        max_uses,
        nonce,
    )
    created = client.give(terms)
    _keep_purpose(obj, text, salt)
    data = {**created.as_dict(), "terms": terms.as_dict()}
    obj.emit(data, tx_line(f"grant {data['grant_id']} given ({basis.name})", data))


@group.command("sign")
@_terms_options
@click.option("--deadline", type=TIME, default="7d", help="relay before this [7d]")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="consent file to write [default: consent-<grant id>.json]",
)
@click.option(
    "--as-safe",
    "safe",
    type=ADDRESS,
    help="sign as one owner of this Safe, which controls the subject (writes that owner's part)",
)
@click.option(
    "--purpose-salt",
    "salt",
    type=BYTES32,
    help="the purpose's salt [default: fresh]; a Safe's owners all give the first owner's",
)
@pass_cli
def sign(
    obj: CliContext,
    grantee: str,
    owner: str,
    categories: tuple[str, ...],
    purpose: str | None,
    purpose_hash: bytes | None,
    valid_from: TimeValue,
    valid_until: TimeValue,
    max_uses: int,
    nonce: int | None,
    subject: ChecksumAddress | None,
    deadline: TimeValue,
    out: Path | None,
    safe: ChecksumAddress | None,
    salt: bytes | None,
) -> None:
    """Sign a consent as the citizen (--key); nothing is sent, the grantee relays the file.

    With --as-safe each owner of the Safe signs its own part (give every owner the same
    --nonce, --purpose-salt (the first file's purpose_salt) and an absolute --deadline); the
    grantee relays all the parts together."""
    if salt is not None and purpose is None:
        raise click.UsageError("--purpose-salt goes with --purpose")
    digest, text, fresh = _purpose(purpose, purpose_hash)
    if salt is not None:
        digest = purpose_commitment(text, salt)
    else:
        salt = fresh
    client = grants(obj)
    account = obj.account()
    terms = _build_terms(
        client,
        LegalBasis.CONSENT,
        subject or safe or account.address,
        grantee,
        owner,
        categories,
        digest,
        valid_from,
        valid_until,
        max_uses,
        nonce,
    )
    signed = client.sign_consent(terms, deadline.resolve(client.now()), account, text, safe)
    consent = replace(signed, purpose_salt=salt)  # the file carries the text and its salt
    _keep_purpose(obj, text, salt)
    part = f"-{account.address[2:10].lower()}" if safe else ""
    target = out or Path(f"consent-{terms.grant_id.hex()[:12]}{part}.json")
    try:
        consent.write(target)
    except OSError as exc:
        raise InvalidInput("consent file", str(target), exc.strerror or str(exc)) from None
    data = {
        "grant_id": hex0x(terms.grant_id),
        "file": str(target),
        "signer": consent.signer,
        "deadline": consent.deadline,
        **({"owner": account.address} if safe else {}),
    }
    others = ""
    if safe and salt is not None:  # the Safe's other owners sign the same commitment
        data["purpose_salt"] = hex0x(salt)
        others = f"; the other owners give --purpose-salt {hex0x(salt)}"
    obj.emit(
        data,
        f"signed consent for grant {data['grant_id']} to {grantee}: {target} "
        f"(give it to {grantee}; relay before {iso(consent.deadline)}{others})",
    )


@group.command("submit")
@click.argument("files", metavar="FILE...", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))  # fmt: skip
@pass_cli
def submit(obj: CliContext, files: tuple[Path, ...]) -> None:
    """Relay a citizen's signed consent FILE (the --key pays; typically the grantee's staff);
    a Safe's consent: every owner's part FILE, joined into the Safe's signature."""
    parts = [SignedConsent.read(f) for f in files]
    client = grants(obj, signing=True)
    created = submit_safe_consent(client, parts) if len(parts) > 1 else client.submit(parts[0])
    consent = parts[0]
    if consent.purpose and consent.purpose_checked():  # salted, or a legacy unsalted purpose
        _keep_purpose(obj, consent.purpose, consent.purpose_salt)
    data = {**created.as_dict(), "signer": consent.signer}
    obj.emit(
        data, tx_line(f"grant {data['grant_id']} created from {consent.signer}'s consent", data)
    )


@group.command("revoke")
@click.argument("grant_id", type=BYTES32, required=False)
@click.option(
    "--consent",
    type=click.Path(dir_okay=False, path_type=Path),
    help="cancel this signed consent (relayed or not), as the citizen",
)
@pass_cli
def revoke(obj: CliContext, grant_id: bytes | None, consent: Path | None) -> None:
    """Revoke GRANT_ID at once: its grantor, the subject, or an APPROVER of the owner."""
    if (grant_id is None) == (consent is None):
        raise click.UsageError("give GRANT_ID or --consent FILE")
    client = grants(obj, signing=True)
    if consent is not None:
        signed = SignedConsent.read(consent)
        grant = signed.terms.grant_id
        tx = client.cancel(signed)
    else:
        assert grant_id is not None
        grant = grant_id
        tx = client.revoke(grant)
    data = {"grant_id": hex0x(grant), **tx.as_dict()}
    obj.emit(data, tx_line(f"grant {data['grant_id']} revoked", data))


@group.command("list")
@click.option("--subject", type=ADDRESS, help="grants about this citizen")
@click.option("--grantee", type=DEPARTMENT, help="grants to this department")
@click.option("--owner", type=DEPARTMENT, help="grants over this department's data")
@pass_cli
def list_(
    obj: CliContext, subject: ChecksumAddress | None, grantee: str | None, owner: str | None
) -> None:
    """Grants (from their events) with their current status, oldest first."""
    found = grants(obj).list_grants(subject, grantee, owner)

    def text() -> str:
        if not found:
            return "no grants"
        return "\n".join(
            f"{hex0x(g.grant_id)}  {g.status:<13} {g.terms.basis.name:<14} "
            f"{g.terms.owner}->{g.terms.grantee}  {','.join(g.terms.categories)}  "
            f"until {iso(g.terms.valid_until)}"
            for g in found
        )

    obj.emit([g.as_dict() for g in found], text)


@group.command("show")
@click.argument("grant_id", type=BYTES32)
@pass_cli
def show(obj: CliContext, grant_id: bytes) -> None:
    """One grant: terms, status, uses (exit 2 if there is no such grant)."""
    info = grants(obj).info(grant_id)
    known = purposes(obj).purposes().get(hex0x(info.terms.purpose_hash))
    obj.emit(info.as_dict(), _grant_text(info, known))
