"""Onboarding a department: one application, driven to completion from the chain's state.

A joining department describes itself once in an :class:`Application` (usually a TOML file,
:func:`load_application`): code, name, region, data-node endpoint, its first ADMIN, the member
keys and roles it wants and the catalog entries it will own. :meth:`Onboarding.advance` compares
the application with the chain and takes the missing steps:

1. propose the department, with the hash of the application document
   (:meth:`Application.document`) as its on-chain metadata hash, so that the council reviews
   exactly the document the department sent (:func:`verify_document`);
2. wait while the council admits it (``govchain council review --approve CODE``);
3. offer each member its roles (and accept for the member keys the caller holds), register the
   catalog entries and set the endpoint.

Every step is read back from the chain before it is taken: a re-run after success sends
nothing, and a run cut short anywhere (a crash, a lost connection) resumes where it stopped,
because nothing is kept anywhere but on chain.

The council's side is :func:`pending_admissions` and :func:`approve_admission`.
"""

from __future__ import annotations

import json
import time
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak

from govchain import validate
from govchain.deploy import REGION_MAX, REGION_MIN
from govchain.errors import InvalidInput
from govchain.identity.base import (
    ROLE_ADMIN,
    ROLES,
    Refused,
    code_text,
    hex32,
    parse_roles,
    role_names,
)
from govchain.identity.council import Council, Proposal
from govchain.identity.departments import Departments, DepartmentStatus, as_code
from govchain.network import Connection
from govchain.sharing.anchors import AnchorRegistry, CategorySpec
from govchain.sharing.catalog import SharingClass
from govchain.tx import Sender

DOCUMENT_KIND = "govchain.department-application/1"
_SHARING = {
    "unconditional": SharingClass.UNCONDITIONAL,
    "conditional": SharingClass.CONDITIONAL,
    "not-shared": SharingClass.NOT_SHARED,
    "not_shared": SharingClass.NOT_SHARED,
}
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
ADMISSION_LIFETIME = 7 * 86400


@dataclass(frozen=True)
class MemberSpec:
    """A key the department wants as a member: its address, roles and (if local) key name."""

    address: ChecksumAddress
    roles: int
    key: str | None = None


@dataclass(frozen=True)
class NodeSpec:
    """Where the department's data node runs (local settings, not part of the document)."""

    db: str
    port: int
    host: str = "127.0.0.1"


@dataclass(frozen=True)
class Application:
    """What a department asks to join with."""

    code: str
    name: str
    region: int
    endpoint: str
    admin: ChecksumAddress
    members: tuple[MemberSpec, ...] = ()
    catalog: tuple[CategorySpec, ...] = ()
    node: NodeSpec | None = None
    admin_key: str | None = None

    def document(self) -> dict[str, Any]:
        """The public application the council reviews: no key names, no local settings."""
        return {
            "kind": DOCUMENT_KIND,
            "code": self.code,
            "name": self.name,
            "region": self.region,
            "endpoint": self.endpoint,
            "admin": self.admin,
            "members": [{"address": m.address, "roles": role_names(m.roles)} for m in self.members],
            "catalog": [
                {
                    "code": c.code,
                    "sharing": c.sharing.name,
                    "sensitive": c.sensitive,
                    "schema_hash": hex32(c.schema_hash),
                    "update_cycle": c.update_cycle,
                }
                for c in self.catalog
            ],
        }

    @property
    def metadata_hash(self) -> bytes:
        return document_hash(self.document())


def document_hash(document: Mapping[str, Any]) -> bytes:
    """``keccak256`` of the document's canonical JSON (sorted keys, no spaces, UTF-8)."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return keccak(canonical.encode("utf-8"))


# --- the TOML file ------------------------------------------------------------------------


def _bad(where: str, value: object, reason: str) -> InvalidInput:
    return InvalidInput(f"join config {where}", value, reason)


def _table(data: Mapping[str, Any], name: str, allowed: set[str]) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise _bad(f"[{name}]", value, "expected a table")
    unknown = set(value) - allowed
    if unknown:
        raise _bad(f"[{name}]", ", ".join(sorted(unknown)), f"unknown; expected {sorted(allowed)}")
    return value


def _text(table: Mapping[str, Any], where: str, key: str, required: bool = True) -> str:
    value = table.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise _bad(f"{where}.{key}", value, "expected a non-empty string")
    return value


def _seconds(value: object, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value[:-1].isdigit() and value[-1:] in _UNITS:
        return int(value[:-1]) * _UNITS[value[-1]]
    raise _bad(where, value, "expected seconds or a duration such as 30d")


def _member(raw: object, index: int, resolve: Callable[[str], ChecksumAddress]) -> MemberSpec:
    where = f"members[{index}]"
    if not isinstance(raw, dict) or set(raw) - {"key", "address", "roles"}:
        raise _bad(where, raw, "expected key or address, and roles")
    if ("key" in raw) == ("address" in raw):
        raise _bad(where, raw, "give exactly one of key (a keystore name) or address")
    roles = raw.get("roles")
    if not isinstance(roles, str | list) or not roles:
        raise _bad(f"{where}.roles", roles, f"name at least one of {', '.join(ROLES)}")
    mask = parse_roles(roles)
    if "key" in raw:
        key = _text(raw, where, "key")
        return MemberSpec(resolve(key), mask, key)
    return MemberSpec(validate.address(_text(raw, where, "address")), mask)


def _category(raw: object, index: int, code: str) -> CategorySpec:
    where = f"catalog[{index}]"
    allowed = {"code", "sharing", "sensitive", "schema_hash", "update_cycle"}
    if not isinstance(raw, dict) or set(raw) - allowed:
        raise _bad(where, raw, f"expected the keys {sorted(allowed)}")
    name = _text(raw, where, "code")
    if not name.startswith(code + ".") or len(name) > 32 or not name.isascii():
        raise _bad(f"{where}.code", name, f"a category code in the namespace {code}.<name>")
    sharing = str(raw.get("sharing", "")).lower()
    if sharing not in _SHARING:
        raise _bad(f"{where}.sharing", sharing, "unconditional, conditional or not-shared")
    sensitive = raw.get("sensitive", False)
    if not isinstance(sensitive, bool):
        raise _bad(f"{where}.sensitive", sensitive, "expected true or false")
    schema = raw.get("schema_hash")
    digest = validate.bytes32(schema, "schema hash") if schema else b"\0" * 32
    cycle = _seconds(raw.get("update_cycle", 0), f"{where}.update_cycle")
    return CategorySpec(name, _SHARING[sharing], sensitive, digest, cycle)


def parse_application(
    data: Mapping[str, Any], resolve: Callable[[str], ChecksumAddress]
) -> Application:
    """An :class:`Application` from a parsed TOML document; ``resolve`` maps key names to
    addresses. Each mistake is one :class:`InvalidInput` naming the field."""
    unknown = set(data) - {"department", "node", "members", "catalog"}
    if unknown:
        raise _bad(
            "section", ", ".join(sorted(unknown)), "expected department, node, members, catalog"
        )
    dept = _table(data, "department", {"code", "name", "region", "endpoint", "admin"})
    code = code_text(as_code(_text(dept, "department", "code")))
    name = _text(dept, "department", "name")
    region = dept.get("region")
    if not isinstance(region, int) or not REGION_MIN <= region <= REGION_MAX:
        raise _bad("department.region", region, "expected a six-digit GB/T 2260 code")
    endpoint = _text(dept, "department", "endpoint", required=False)
    if endpoint and not endpoint.startswith(("http://", "https://")):
        raise _bad("department.endpoint", endpoint, "expected an http(s):// URL")
    admin_text = _text(dept, "department", "admin")
    admin_key = None if admin_text.startswith("0x") else admin_text
    admin = resolve(admin_text) if admin_key else validate.address(admin_text)
    node = None
    if "node" in data:
        table = _table(data, "node", {"db", "port", "host"})
        port = table.get("port")
        if not isinstance(port, int) or not 1 <= port <= 65535:
            raise _bad("node.port", port, "expected a port number")
        host = _text(table, "node", "host", required=False) or "127.0.0.1"
        node = NodeSpec(_text(table, "node", "db"), port, host)
    members_raw = data.get("members", [])
    catalog_raw = data.get("catalog", [])
    if not isinstance(members_raw, list) or not isinstance(catalog_raw, list):
        raise _bad("[[members]]/[[catalog]]", "?", "expected arrays of tables")
    members = tuple(_member(m, i, resolve) for i, m in enumerate(members_raw))
    seen = [admin] + [m.address for m in members]
    if len(set(seen)) != len(seen):
        raise _bad("members", "duplicate", "each key once, and not the admin again")
    catalog = tuple(_category(c, i, code) for i, c in enumerate(catalog_raw))
    if len({c.code for c in catalog}) != len(catalog):
        raise _bad("catalog", "duplicate", "each category code once")
    return Application(code, name, region, endpoint, admin, members, catalog, node, admin_key)


def load_application(path: Path, resolve: Callable[[str], ChecksumAddress]) -> Application:
    """:func:`parse_application` of the TOML file at ``path``."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput("join config", str(path), exc.strerror or "unreadable") from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput("join config", str(path), f"not valid TOML ({exc})") from None
    return parse_application(data, resolve)


# --- the joining department's side -------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One step of an onboarding run: ``done`` (found on chain), ``sent`` (a transaction now)
    or ``waiting`` (for someone else: the council, or a member key to accept)."""

    name: str
    state: str
    detail: str
    tx: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"step": self.name, "state": self.state, "detail": self.detail, "tx": self.tx}


@dataclass
class Progress:
    code: str
    steps: list[Step] = field(default_factory=list)

    @property
    def status(self) -> str:
        """``joined`` (everything on chain), ``awaiting-admission`` or ``awaiting-members``."""
        if any(s.name == "admission" and s.state == "waiting" for s in self.steps):
            return "awaiting-admission"
        if any(s.state == "waiting" for s in self.steps):
            return "awaiting-members"
        return "joined"

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "status": self.status,
            "sent": sum(s.state == "sent" for s in self.steps),
            "steps": [s.as_dict() for s in self.steps],
        }


class Onboarding:
    """Drive ``application`` forward, signing with the department's first ADMIN (``sender``);
    ``member_signer`` gives the sender of a member key the caller holds (None if it does not),
    asked only for a member that still has to accept its offer."""

    def __init__(
        self,
        connection: Connection,
        sender: Sender,
        application: Application,
        member_signer: Callable[[MemberSpec], Sender | None] | None = None,
    ) -> None:
        self.connection = connection
        self.sender = sender
        self.app = application
        self.member_signer = member_signer or (lambda _member: None)
        self.departments = Departments(connection, sender)
        self.raw = as_code(application.code)

    def _status(self) -> DepartmentStatus:
        return self.departments.status(self.raw)

    def advance(self, wait: float = 0, poll: float = 1.0) -> Progress:
        """Take every missing step; wait up to ``wait`` seconds for the council's admission."""
        progress = Progress(self.app.code)
        signer = validate.address(self.sender.address)
        if signer != self.app.admin:
            raise Refused(
                f"the application names {self.app.admin} as {self.app.code}'s first ADMIN; "
                f"sign with that key, not {signer}"
            )
        status = self._propose(progress)
        deadline = time.monotonic() + wait
        while status == DepartmentStatus.PROPOSED and time.monotonic() < deadline:
            time.sleep(poll)
            status = self._status()
        if status == DepartmentStatus.PROPOSED:
            progress.steps.append(
                Step(
                    "admission",
                    "waiting",
                    f"the council admits it with 'govchain council review --approve "
                    f"{self.app.code}'; then run this again",
                )
            )
            return progress
        if status != DepartmentStatus.ACTIVE:
            raise Refused(f"department {self.app.code} is {status.label}, not Active")
        progress.steps.append(Step("admission", "done", f"{self.app.code} is Active"))
        self._members(progress)
        self._catalog(progress)
        self._endpoint(progress)
        return progress

    def _propose(self, progress: Progress) -> DepartmentStatus:
        status = self._status()
        fresh = status == DepartmentStatus.NONE or (
            status == DepartmentStatus.RETIRED and not self.departments._ever_active(self.raw)
        )
        if fresh:
            sent = self.departments.propose(
                self.raw,
                self.app.name,
                self.app.region,
                self.app.admin,
                self.app.endpoint,
                self.app.metadata_hash,
            )
            progress.steps.append(
                Step("propose", "sent", f"{self.app.code} proposed", sent.tx_hash)
            )
            return self._status()
        if status in (DepartmentStatus.SUSPENDED, DepartmentStatus.RETIRED):
            raise Refused(f"department {self.app.code} is {status.label}: it cannot join again")
        if self.departments.roles_of(self.raw, self.app.admin) & ROLE_ADMIN == 0:
            raise Refused(
                f"department {self.app.code} exists already and {self.app.admin} is not its ADMIN"
            )
        if status == DepartmentStatus.PROPOSED:
            on_chain = self.departments.department(self.raw).metadata_hash
            if on_chain != self.app.metadata_hash:
                raise Refused(
                    f"{self.app.code} was proposed with another application (metadata "
                    f"{hex32(on_chain)}, this file {hex32(self.app.metadata_hash)}): restore "
                    f"that file, or withdraw ('govchain dept withdraw-proposal "
                    f"{self.app.code}') and join again"
                )
        progress.steps.append(Step("propose", "done", f"{self.app.code} is {status.label}"))
        return status

    def _members(self, progress: Progress) -> None:
        for member in self.app.members:
            name = f"member {member.address}"
            wanted = ",".join(role_names(member.roles))
            roles = self.departments.roles_of(self.raw, member.address)
            if roles == member.roles:
                progress.steps.append(Step(name, "done", f"{wanted} of {self.app.code}"))
                continue
            if roles:
                sent = self.departments.set_member_roles(member.address, member.roles)
                progress.steps.append(Step(name, "sent", f"roles set to {wanted}", sent.tx_hash))
                continue
            offered, _admin = self.departments.offer_of(member.address, self.raw)
            tx = None
            if offered != member.roles:
                tx = self.departments.add_member(member.address, member.roles).tx_hash
            signer = self.member_signer(member)
            if signer is None:
                who = member.key or member.address
                progress.steps.append(
                    Step(
                        name,
                        "waiting",
                        f"offered {wanted}; the key joins with 'govchain --key {who} dept "
                        f"accept {self.app.code}'",
                        tx,
                    )
                )
                continue
            accepted = Departments(self.connection, signer).accept(self.raw)
            progress.steps.append(Step(name, "sent", f"joined as {wanted}", accepted.tx_hash))

    def _catalog(self, progress: Progress) -> None:
        registry = AnchorRegistry(self.connection, self.sender)
        for spec in self.app.catalog:
            name = f"catalog {spec.code}"
            current = registry.category_info(spec.code)
            if current is None:
                sent = registry.add_category(spec)
                progress.steps.append(
                    Step(name, "sent", f"registered ({spec.sharing.name})", sent.tx_hash)
                )
                continue
            if current.owner != self.app.code:
                raise Refused(f"category {spec.code} belongs to {current.owner}")
            same = (current.sharing, current.sensitive, current.schema_hash, current.update_cycle)
            if same == (spec.sharing, spec.sensitive, spec.schema_hash, spec.update_cycle):
                progress.steps.append(Step(name, "done", f"registered ({spec.sharing.name})"))
                continue
            sent = registry.update_category(spec)
            progress.steps.append(
                Step(name, "sent", f"updated ({spec.sharing.name})", sent.tx_hash)
            )

    def _endpoint(self, progress: Progress) -> None:
        current = self.departments.department(self.raw).endpoint
        if current == self.app.endpoint:
            progress.steps.append(Step("endpoint", "done", self.app.endpoint or "(none)"))
            return
        sent = self.departments.set_endpoint(self.app.endpoint)
        progress.steps.append(Step("endpoint", "sent", self.app.endpoint, sent.tx_hash))


# --- the council's side ------------------------------------------------------------------


def verify_document(document: Mapping[str, Any], metadata_hash: bytes) -> bool:
    """Whether ``document`` is the application whose hash the department proposed with."""
    return document_hash(document) == metadata_hash


@dataclass(frozen=True)
class Admission:
    """A department awaiting admission: what the chain says, its open admit proposal (if any)
    and its application document when one was supplied that matches its metadata hash."""

    code: str
    name: str
    region: int
    endpoint: str
    admin: ChecksumAddress | None
    metadata_hash: bytes
    proposal: Proposal | None
    document: Mapping[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        p = self.proposal
        return {
            "code": self.code,
            "name": self.name,
            "region": self.region,
            "endpoint": self.endpoint,
            "admin": self.admin,
            "metadata_hash": hex32(self.metadata_hash),
            "proposal": None
            if p is None
            else {
                "id": hex32(p.id),
                "state": p.state,
                "approvals": p.approvals,
                "threshold": p.threshold,
                "approvers": p.approvers,
            },
            "application": dict(self.document) if self.document is not None else None,
        }


def open_admission(council: Council, code: str | bytes) -> Proposal | None:
    """The open (or ready) proposal to admit ``code``, if any."""
    wanted = f"admit {code_text(as_code(code))}"
    for proposal in reversed(council.proposals()):
        if proposal.description == wanted and proposal.state in ("open", "ready"):
            return proposal
    return None


def pending_admissions(
    council: Council, documents: Mapping[bytes, Mapping[str, Any]] | None = None
) -> list[Admission]:
    """Every Proposed department, oldest first; ``documents`` (metadata hash -> application)
    supply the applications the departments sent (only a matching one is shown)."""
    docs = documents or {}
    proposals = [p for p in council.proposals() if p.state in ("open", "ready")]
    found = []
    for d in council.departments.departments():
        if d.status != DepartmentStatus.PROPOSED:
            continue
        admins = council.departments.members(d.code)
        wanted = f"admit {d.code_text}"
        open_ = [p for p in proposals if p.description == wanted]
        found.append(
            Admission(
                d.code_text,
                d.name,
                d.region,
                d.endpoint,
                admins[0].account if admins else None,
                d.metadata_hash,
                open_[-1] if open_ else None,
                docs.get(d.metadata_hash),
            )
        )
    return found


def approve_admission(council: Council, code: str | bytes) -> list[Step]:
    """The sender (a council member) moves ``code``'s admission on: proposes it if no proposal
    is open (which counts as its approval), else approves it; executes it once it has enough
    approvals. A member who approved already only executes (or waits for others)."""
    departments = council.departments
    raw = departments.require(code)
    text = code_text(raw)
    status = departments.status(raw)
    if status != DepartmentStatus.PROPOSED:
        raise Refused(f"department {text} is {status.label}, not awaiting admission")
    sender = council._signer("approving an admission").address
    steps = []
    proposal = open_admission(council, raw)
    if proposal is None:
        call = council.actions.admit(raw)
        made = council.propose(call, council.now() + ADMISSION_LIFETIME)
        steps.append(Step("propose admit", "sent", f"proposal {hex32(made.id)}", made.sent.tx_hash))
        proposal = council.proposal(made.id)
    elif not council.has_approved(proposal.id, sender):
        sent = council.approve(proposal.id)
        steps.append(Step("approve", "sent", f"proposal {hex32(proposal.id)}", sent.tx_hash))
        proposal = council.proposal(proposal.id)
    else:
        steps.append(Step("approve", "done", f"{sender} approved {hex32(proposal.id)} already"))
    if proposal.approvals >= proposal.threshold:
        sent = council.execute(proposal.id)
        steps.append(Step("execute", "sent", f"{text} admitted", sent.tx_hash))
    else:
        steps.append(
            Step(
                "execute",
                "waiting",
                f"{proposal.approvals} of {proposal.threshold} approvals; another member runs "
                f"'govchain council review --approve {text}'",
            )
        )
    return steps
