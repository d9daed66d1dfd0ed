"""``govchain dept``: departments, their member keys and roles.

Reads are open to anyone. Member and department-data changes are made by an ADMIN of the
department (the ``--key``), acting on its own department. ``dept propose`` applies for
admission; the council admits (``govchain council propose admit CODE``).
"""

from __future__ import annotations

import click

from govchain import validate
from govchain.cli.context import CliContext, pass_cli
from govchain.cli.identity_params import DEPARTMENT, ROLES, account, roles_mask, tx_text
from govchain.identity.base import ZERO32, code_text, role_names
from govchain.identity.departments import Department, Departments


@click.group("dept")
def group() -> None:
    """Departments: discover them, list members; an ADMIN manages its own department."""


def _reader(obj: CliContext) -> Departments:
    return Departments(obj.connection())


def _writer(obj: CliContext) -> Departments:
    return Departments(obj.connection(), obj.sender())


def _department_text(d: Department) -> str:
    return "\n".join(
        [
            f"code       {d.code_text}",
            f"name       {d.name}",
            f"region     {d.region}",
            f"status     {d.status.label}",
            f"endpoint   {d.endpoint or '-'}",
            f"metadata   0x{d.metadata_hash.hex()}",
            f"admins     {d.admin_count}",
        ]
    )


_ROLE_OPTION = click.option(
    "--role",
    "roles",
    type=ROLES,
    multiple=True,
    help="staff, approver, admin or auditor (repeatable, or comma-separated)",
)


# --- reads ----------------------------------------------------------------------------------


@group.command("list")
@pass_cli
def list_departments(obj: CliContext) -> None:
    """Every department, in the order proposed: code, status, region, name."""
    found = _reader(obj).departments()
    obj.emit(
        [d.as_dict() for d in found],
        lambda: "\n".join(
            f"{d.code_text:<10} {d.status.label:<10} {d.region}  {d.name}" for d in found
        ),
    )


@group.command("show")
@click.argument("code", type=DEPARTMENT)
@pass_cli
def show(obj: CliContext, code: bytes) -> None:
    """Department CODE: name, region, status, data-node endpoint, metadata hash."""
    department = _reader(obj).department(code)
    obj.emit(department.as_dict(), lambda: _department_text(department))


@group.command("members")
@click.argument("code", type=DEPARTMENT)
@pass_cli
def members(obj: CliContext, code: bytes) -> None:
    """The current member keys of department CODE and their roles."""
    found = _reader(obj).members(code)
    obj.emit(
        [m.as_dict() for m in found],
        lambda: "\n".join(f"{m.account}  {','.join(m.role_list)}" for m in found),
    )


@group.command("whois")
@click.argument("who", metavar="ADDRESS|KEY")
@pass_cli
def whois(obj: CliContext, who: str) -> None:
    """Which department an account belongs to, its roles there, and whether it is active."""
    target = account(obj, who)
    membership = _reader(obj).member_of(target)
    data = membership.as_dict()
    if membership.department is None:
        text = f"{membership.account} is in no department"
    else:
        state = "active" if membership.active else "not active"
        text = (
            f"{membership.account} {','.join(role_names(membership.roles))} of "
            f"{code_text(membership.department)} ({state})"
        )
    obj.emit(data, text)


# --- the department's ADMIN -----------------------------------------------------------------


@group.command("add-member")
@click.argument("who", metavar="ADDRESS|KEY")
@_ROLE_OPTION
@pass_cli
def add_member(obj: CliContext, who: str, roles: tuple[int, ...]) -> None:
    """Offer a key membership of the --key ADMIN's department with --role(s); the key joins
    when it accepts ('govchain --key KEY dept accept CODE')."""
    mask = roles_mask(roles)
    address = account(obj, who)
    writer = _writer(obj)
    dept = writer.admin_department(obj.account().address)
    sent = writer.add_member(address, mask)
    obj.emit(
        {
            "account": address,
            "department": code_text(dept),
            "roles": mask,
            "role_names": role_names(mask),
            "status": "offered",
            **sent.as_dict(),
        },
        tx_text(
            sent,
            f"offered {address} {','.join(role_names(mask))} of {code_text(dept)}; it joins "
            f"with 'govchain --key {who} dept accept {code_text(dept)}'",
        ),
    )


@group.command("accept")
@click.argument("code", type=DEPARTMENT)
@pass_cli
def accept(obj: CliContext, code: bytes) -> None:
    """Accept department CODE's membership offer with the --key (a key joins only by consent)."""
    writer = _writer(obj)
    sent = writer.accept(code)
    address = obj.account().address
    membership = writer.member_of(address)
    mask = membership.roles
    obj.emit(
        {
            "account": address,
            "department": code_text(code),
            "roles": mask,
            "role_names": role_names(mask),
            **sent.as_dict(),
        },
        tx_text(sent, f"{address} joined {code_text(code)} as {','.join(role_names(mask))}"),
    )


@group.command("remove-member")
@click.argument("who", metavar="ADDRESS|KEY")
@pass_cli
def remove_member(obj: CliContext, who: str) -> None:
    """Remove a key from the --key ADMIN's department (not its last ADMIN)."""
    address = account(obj, who)
    sent = _writer(obj).remove_member(address)
    obj.emit({"account": address, **sent.as_dict()}, tx_text(sent, f"removed {address}"))


@group.command("set-roles")
@click.argument("who", metavar="ADDRESS|KEY")
@_ROLE_OPTION
@pass_cli
def set_roles(obj: CliContext, who: str, roles: tuple[int, ...]) -> None:
    """Replace the roles of a member of the --key ADMIN's department."""
    mask = roles_mask(roles)
    address = account(obj, who)
    sent = _writer(obj).set_member_roles(address, mask)
    obj.emit(
        {"account": address, "roles": mask, "role_names": role_names(mask), **sent.as_dict()},
        tx_text(sent, f"{address} is now {','.join(role_names(mask))}"),
    )


@group.command("set-endpoint")
@click.argument("url")
@pass_cli
def set_endpoint(obj: CliContext, url: str) -> None:
    """Set the data-node endpoint of the --key ADMIN's department ('' clears it)."""
    if url and not url.startswith(("http://", "https://")):
        raise click.BadParameter(f"expected an http(s):// URL: {url!r}", param_hint="URL")
    sent = _writer(obj).set_endpoint(url)
    obj.emit({"endpoint": url, **sent.as_dict()}, tx_text(sent, f"endpoint set to {url!r}"))


@group.command("set-metadata")
@click.argument("metadata_hash", metavar="HASH")
@pass_cli
def set_metadata(obj: CliContext, metadata_hash: str) -> None:
    """Set the metadata hash (catalog document, certificates) of the ADMIN's department."""
    raw = validate.bytes32(metadata_hash, "metadata hash")
    sent = _writer(obj).set_metadata_hash(raw)
    obj.emit(
        {"metadata_hash": "0x" + raw.hex(), **sent.as_dict()},
        tx_text(sent, f"metadata hash set to 0x{raw.hex()}"),
    )


# --- applying for admission -----------------------------------------------------------------


@group.command("propose")
@click.argument("code", type=DEPARTMENT)
@click.option("--name", required=True, help="the department's name")
@click.option("--region", required=True, type=int, help="GB/T 2260 six-digit division code")
@click.option(
    "--admin",
    "admin",
    default=None,
    metavar="ADDRESS|KEY",
    help="its first ADMIN key, which must be the --key [default: the --key]",
)
@click.option("--endpoint", default="", help="its data-node URL")
@click.option("--metadata-hash", default=None, metavar="HASH", help="0x 32-byte hash")
@pass_cli
def propose(
    obj: CliContext,
    code: bytes,
    name: str,
    region: int,
    admin: str | None,
    endpoint: str,
    metadata_hash: str | None,
) -> None:
    """Apply for admission of department CODE with the --key as its first ADMIN (Proposed until
    the council admits it)."""
    address = account(obj, admin) if admin else obj.account().address
    meta = validate.bytes32(metadata_hash, "metadata hash") if metadata_hash else ZERO32
    sent = _writer(obj).propose(code, name, region, address, endpoint, meta)
    obj.emit(
        {"code": code_text(code), "status": "Proposed", "admin": address, **sent.as_dict()},
        tx_text(
            sent,
            f"department {code_text(code)} proposed; the council admits it with "
            f"'govchain council propose admit {code_text(code)}'",
        ),
    )


@group.command("withdraw-proposal")
@click.argument("code", type=DEPARTMENT)
@pass_cli
def withdraw_proposal(obj: CliContext, code: bytes) -> None:
    """Withdraw the --key's own Proposed department CODE (its key is released, its code free)."""
    sent = _writer(obj).withdraw_proposal(code)
    obj.emit(
        {"code": code_text(code), "status": "Retired", **sent.as_dict()},
        tx_text(sent, f"proposal of department {code_text(code)} withdrawn"),
    )
