"""``govchain attest``: schemas and attestations about citizens (the credit file).

An attestation's data hash is a salted commitment ``keccak256(salt || data)``: with ``--data``
the command draws a fresh 32-byte salt and prints it; keep it (off chain) with the record, since
it is what lets the citizen or a verifier later show what the hash commits to. Nothing personal
goes on chain.
"""

from __future__ import annotations

import click
from eth_utils.crypto import keccak

from govchain import validate
from govchain.cli.context import CliContext, pass_cli
from govchain.cli.identity_params import DEPARTMENT, ROLES, TIME, When, account, tx_text
from govchain.cli.params import BYTES32
from govchain.identity.attestations import Attestation, Attestations
from govchain.identity.base import ZERO32, code_text, hex32, iso_time, role_names
from govchain.identity.messages import new_salt, salted_hash
from govchain.tx import Sender


@click.group("attest")
def group() -> None:
    """Attestations about citizens: schemas, issue, revoke, verify, list."""


def _reader(obj: CliContext) -> Attestations:
    return Attestations(obj.connection())


def _writer(obj: CliContext) -> Attestations:
    return Attestations(obj.connection(), obj.sender())


# --- schemas --------------------------------------------------------------------------------


@group.group("schema")
def schema() -> None:
    """Attestation schemas: what a data hash commits to, who may attest, revocable or not."""


@schema.command("register")
@click.option("--fields", help="the field list, e.g. 'RealName(bytes32 commitment)' (hashed)")
@click.option("--fields-hash", type=BYTES32, help="or the 0x hash of the field list")
@click.option(
    "--roles", "roles", type=ROLES, required=True, help="roles that may attest: staff,approver..."
)
@click.option("--dept", "department", type=DEPARTMENT, help="the only department that may attest")
@click.option("--irrevocable", is_flag=True, help="attestations can never be revoked")
@pass_cli
def schema_register(
    obj: CliContext,
    fields: str | None,
    fields_hash: bytes | None,
    roles: int,
    department: bytes | None,
    irrevocable: bool,
) -> None:
    """Register a schema (an ADMIN of an active department); prints its uid."""
    if (fields is None) == (fields_hash is None):
        raise click.UsageError("give exactly one of --fields and --fields-hash")
    digest = fields_hash if fields_hash is not None else keccak(text=str(fields))
    made = _writer(obj).register_schema(digest, roles, department or ZERO32, not irrevocable)
    obj.emit(
        {**made.as_dict(), "fields_hash": hex32(digest)},
        tx_text(made.sent, f"schema {hex32(made.uid)}"),
    )


@schema.command("show")
@click.argument("uid", type=BYTES32)
@pass_cli
def schema_show(obj: CliContext, uid: bytes) -> None:
    """Schema UID: fields hash, roles, department, revocable, registrant."""
    found = _reader(obj).schema(uid)
    data = found.as_dict()
    obj.emit(
        data,
        lambda: "\n".join(
            [
                f"uid          {data['uid']}",
                f"fields hash  {data['fields_hash']}",
                f"roles        {','.join(data['roles'])}",
                f"department   {data['department'] or 'any'}",
                f"revocable    {'yes' if found.revocable else 'no'}",
                f"registrant   {found.registrant}",
            ]
        ),
    )


@schema.command("list")
@pass_cli
def schema_list(obj: CliContext) -> None:
    """Every registered schema."""
    found = _reader(obj).schemas()
    obj.emit(
        [s.as_dict() for s in found],
        lambda: (
            "\n".join(
                f"{hex32(s.uid)}  {','.join(role_names(s.role_mask)):<16} "
                f"{code_text(s.department) if s.department != ZERO32 else 'any':<8} "
                f"{'revocable' if s.revocable else 'irrevocable'}"
                for s in found
            )
            or "no schemas"
        ),
    )


# --- attestations ---------------------------------------------------------------------------


def _attestation_text(a: Attestation) -> str:
    state = "valid" if a.valid else ("revoked" if a.revoked else "expired")
    return (
        f"{hex32(a.uid)}  {state:<8} {code_text(a.department):<8} schema {hex32(a.schema)[:10]}.. "
        f"expires {iso_time(a.expiry)}"
    )


@group.command("issue")
@click.argument("subject", metavar="SUBJECT")
@click.option("--schema", "schema_uid", type=BYTES32, required=True, help="schema uid")
@click.option("--data-hash", type=BYTES32, help="the salted commitment, if made elsewhere")
@click.option("--data", help="the attested data; committed to with a fresh salt (printed)")
@click.option("--expires", type=TIME, help="30d, a unix time or an ISO date (default: never)")
@click.option("--ref", "ref_uid", type=BYTES32, help="an attestation this one refers to")
@click.option("--relayer", metavar="KEY", help="sign with --key and let this keystore send")
@click.option("--deadline", type=TIME, default="1h", show_default=True, help="with --relayer")
@pass_cli
def issue(
    obj: CliContext,
    subject: str,
    schema_uid: bytes,
    data_hash: bytes | None,
    data: str | None,
    expires: When | None,
    ref_uid: bytes | None,
    relayer: str | None,
    deadline: When,
) -> None:
    """Attest a fact about SUBJECT for the --key member's department; prints the uid."""
    if (data is None) == (data_hash is None):
        raise click.UsageError("give exactly one of --data and --data-hash")
    target = account(obj, subject, "subject")
    salt = None
    if data is not None:
        salt = new_salt()
        data_hash = salted_hash(salt, data.encode())
    assert data_hash is not None
    if relayer is None:
        attestations = _writer(obj)
        expiry = expires.resolve(attestations.now()) if expires else 0
        made = attestations.attest(target, schema_uid, data_hash, expiry, ref_uid or ZERO32)
    else:
        connection = obj.connection()
        relay = obj.keystore().unlock(validate.name(relayer, "relayer key"))
        attestations = Attestations(connection, Sender(connection.w3, relay, obj.decoder()))
        now = attestations.now()
        expiry = expires.resolve(now) if expires else 0
        signed = attestations.sign_attestation(
            obj.account(),
            target,
            schema_uid,
            data_hash,
            deadline.resolve(now),
            expiry,
            ref_uid or ZERO32,
        )
        made = attestations.attest_by_sig(signed)
    result = {
        **made.as_dict(),
        "subject": target,
        "schema": hex32(schema_uid),
        "data_hash": hex32(data_hash),
        "expiry": expiry,
        "salt": hex32(salt) if salt else None,
    }
    text = tx_text(made.sent, f"attestation {hex32(made.uid)} about {target}")
    if salt:
        text += f"\nsalt {hex32(salt)} (keep it off chain with the record)"
    obj.emit(result, text)


@group.command("revoke")
@click.argument("uid", type=BYTES32)
@pass_cli
def revoke(obj: CliContext, uid: bytes) -> None:
    """Revoke attestation UID (a member of the issuing department, revocable schemas only)."""
    sent = _writer(obj).revoke(uid)
    obj.emit({"uid": hex32(uid), "revoked": True, **sent.as_dict()}, tx_text(sent, "revoked"))


@group.command("verify")
@click.argument("uid", type=BYTES32)
@pass_cli
def verify(obj: CliContext, uid: bytes) -> None:
    """Whether attestation UID is valid (exists, not revoked, not expired), and what it says."""
    found = _reader(obj).verify(uid)
    data = found.as_dict()

    def text() -> str:
        lines = [f"{hex32(found.uid)}: {'VALID' if found.valid else 'NOT VALID'} ({found.reason})"]
        if found.attestation is not None:
            a = found.attestation
            lines += [
                f"subject     {a.subject}",
                f"issued by   {code_text(a.department)} ({a.attester})",
                f"schema      {hex32(a.schema)}",
                f"data hash   {hex32(a.data_hash)}",
                f"expires     {iso_time(a.expiry)}",
            ]
        return "\n".join(lines)

    obj.emit(data, text)


@group.command("list")
@click.argument("subject", metavar="SUBJECT")
@click.option("--valid", "only_valid", is_flag=True, help="only attestations valid now")
@pass_cli
def list_attestations(obj: CliContext, subject: str, only_valid: bool) -> None:
    """Every attestation about SUBJECT (a citizen's credit file), oldest first."""
    target = account(obj, subject, "subject")
    found = _reader(obj).about(target)
    if only_valid:
        found = [a for a in found if a.valid]
    obj.emit(
        [a.as_dict() for a in found],
        lambda: "\n".join(_attestation_text(a) for a in found) or "no attestations",
    )
