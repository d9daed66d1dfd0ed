"""What the data-node, data, index and audit commands share: codes, record ids, chain readers.

Department and category codes are given as text (``HRSS``, ``HRSS.PENSION``: ASCII, right-padded
to 32 bytes on chain) or as ``0x`` + 64 hex digits. A record id is the same: text of at most 32
ASCII characters (``pension-alice``) or 32 bytes of hex.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from eth_typing import ChecksumAddress

from govchain import validate
from govchain.cli.context import CliContext
from govchain.errors import InvalidInput, NotFound
from govchain.node.chain import ChainAddresses, RpcChain
from govchain.sharing.merkle import keccak256

ROLE_STAFF, ROLE_APPROVER, ROLE_ADMIN, ROLE_AUDITOR = 1, 2, 4, 8
ROLE_NAMES = {ROLE_STAFF: "STAFF", ROLE_APPROVER: "APPROVER", ROLE_ADMIN: "ADMIN", 8: "AUDITOR"}
STATUS_NAMES = ("None", "Proposed", "Active", "Suspended", "Retired")
DEPARTMENT_ACTIVE = 2
ZERO32 = b"\0" * 32


def code32(value: str, what: str) -> bytes:
    """A code or id: ``0x`` + 64 hex digits, else 1..32 printable ASCII characters, padded."""
    if value.startswith(("0x", "0X")) and len(value) == 66:
        return validate.bytes32(value, what)
    try:
        raw = value.encode("ascii")
    except UnicodeEncodeError:
        raise InvalidInput(what, value, "use 1 to 32 ASCII characters or 0x + 64 hex") from None
    if not raw or len(raw) > 32 or not value.isprintable():
        raise InvalidInput(what, value, "use 1 to 32 ASCII characters or 0x + 64 hex")
    return raw.ljust(32, b"\0")


def code_text(code: bytes) -> str:
    """A code as a person reads it: the ASCII text if it is text, else 0x-hex."""
    stripped = code.rstrip(b"\0")
    try:
        text = stripped.decode("ascii")
    except UnicodeDecodeError:
        return "0x" + code.hex()
    return text if text and text.isprintable() else "0x" + code.hex()


def hex32(value: bytes) -> str:
    return "0x" + value.hex()


def purpose_hash(text: str) -> bytes:
    """A given purpose hash, or ``keccak256`` of a text: only for the empty purpose and legacy
    texts; new purposes are salted (:func:`govchain.sharing.purposes.commit_purpose`)."""
    if text.startswith("0x") and len(text) == 66:
        return validate.bytes32(text, "purpose hash")
    return keccak256(text.encode())


class CodeType(click.ParamType):
    """A department or category code, or a record id (see the module notes)."""

    def __init__(self, what: str) -> None:
        self.name = what
        self.what = what

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> bytes:
        if isinstance(value, bytes):
            return value
        try:
            return code32(str(value), self.what)
        except InvalidInput as exc:
            self.fail(f"{exc.reason}: {value!r}", param, ctx)


DEPARTMENT = CodeType("department code")
CATEGORY = CodeType("category code")
RECORD_ID = CodeType("record id")


@dataclass(frozen=True)
class DepartmentView:
    code: bytes
    name: str
    region: int
    status: int
    endpoint: str

    @property
    def active(self) -> bool:
        return self.status == DEPARTMENT_ACTIVE

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": code_text(self.code),
            "name": self.name,
            "region": self.region,
            "status": STATUS_NAMES[self.status],
            "endpoint": self.endpoint,
        }


def addresses(obj: CliContext) -> ChainAddresses:
    """The deployment's contracts a data node reads (from the manifest of this chain)."""
    deployment = obj.connection().deployment
    return ChainAddresses.from_names({n: c.address for n, c in deployment.contracts.items()})


def reader(obj: CliContext) -> RpcChain:
    """A raw JSON-RPC reader of this chain's deployment (what the node library reads with)."""
    connection = obj.connection()
    return RpcChain(connection.url, addresses(obj), chain_id=connection.chain_id)


def department(obj: CliContext, code: bytes) -> DepartmentView:
    """The department ``code`` as the registry holds it; unknown -> exit 2."""
    registry = obj.connection().contract("DepartmentRegistry")
    if registry.functions.departmentStatus(code).call() == 0:
        raise NotFound("department", code_text(code), "not in the DepartmentRegistry")
    view = registry.functions.department(code).call()
    return DepartmentView(bytes(view[0]), str(view[1]), int(view[2]), int(view[3]), str(view[4]))


def departments(obj: CliContext) -> list[DepartmentView]:
    registry = obj.connection().contract("DepartmentRegistry")
    count = int(registry.functions.departmentCount().call())
    return [department(obj, bytes(registry.functions.departmentAt(i).call())) for i in range(count)]


@dataclass(frozen=True)
class Member:
    address: ChecksumAddress
    department: bytes
    roles: int
    active: bool

    def has(self, role: int) -> bool:
        return self.active and bool(self.roles & role)

    def role_names(self) -> list[str]:
        return [name for bit, name in ROLE_NAMES.items() if self.roles & bit]


def member(obj: CliContext, address: str) -> Member:
    registry = obj.connection().contract("DepartmentRegistry")
    dept, roles, active = registry.functions.memberOf(address).call()
    return Member(validate.address(address), bytes(dept), int(roles), bool(active))


def require_member(obj: CliContext, code: bytes, role: int | None = None, why: str = "") -> Member:
    """The ``--key`` account, checked to be an active member of ``code`` (holding ``role``)."""
    account = obj.account()
    who = member(obj, account.address)
    name = code_text(code)
    suffix = f" ({why})" if why else ""
    if who.department != code or not who.active:
        raise click.ClickException(
            f"{account.address} (--key {obj.key}) is not an active member of {name}{suffix}"
        )
    if role is not None and not who.roles & role:
        raise click.ClickException(
            f"{account.address} (--key {obj.key}) is not an {ROLE_NAMES[role]} of {name}{suffix}"
        )
    return who


def deploy_block(obj: CliContext) -> int:
    return obj.connection().deployment.deploy_block


def store_url(value: str) -> str:
    """A store given as a SQLAlchemy URL, or a SQLite file path."""
    if "://" in value:
        if value.startswith("postgresql://"):
            return "postgresql+psycopg://" + value[len("postgresql://") :]
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def existing_store(value: str) -> str:
    """:func:`store_url` of a store that must exist already (a SQLite file is checked)."""
    url = store_url(value)
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///") :])
        if not path.is_file():
            raise NotFound("store", str(path), "no such SQLite file")
    return url
