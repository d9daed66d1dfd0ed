"""What a department asks to join with: its :class:`Application`, the public document the
council reviews (and whose hash the department proposes with), and the TOML join file it is
read from (:func:`load_application`). Nothing here touches the chain.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak

from govchain import validate
from govchain.deploy import REGION_MAX, REGION_MIN
from govchain.errors import InvalidInput
from govchain.identity.base import ROLES, code_text, hex32, parse_roles, role_names
from govchain.identity.departments import as_code
from govchain.sharing.anchors import CategorySpec
from govchain.sharing.catalog import SharingClass

DOCUMENT_KIND = "govchain.department-application/1"
_SHARING = {
    "unconditional": SharingClass.UNCONDITIONAL,
    "conditional": SharingClass.CONDITIONAL,
    "not-shared": SharingClass.NOT_SHARED,
    "not_shared": SharingClass.NOT_SHARED,
}
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


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


def verify_document(document: Mapping[str, Any], metadata_hash: bytes) -> bool:
    """Whether ``document`` is the application whose hash the department proposed with."""
    return document_hash(document) == metadata_hash


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
