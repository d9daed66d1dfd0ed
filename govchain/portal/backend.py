"""What the portal process holds for its one user: the keystore, the chain, the event index.

The key is decrypted here, in the server process, after the login form's passphrase; it signs
here with the SDK and is never sent to the browser. The chain connection and the index are
opened lazily and re-opened after a failure, so a page renders (with a banner naming what is
unreachable) whether or not the chain answers.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from govchain.errors import GovchainError, NetworkUnavailable
from govchain.indexer import (
    Indexer,
    IndexerError,
    RpcLogSource,
    chains_held,
    contracts_from_manifest,
)
from govchain.indexer import open_database as open_index
from govchain.keystore import Keystore
from govchain.network import TRANSPORT_ERRORS, Connection, rpc_url
from govchain.sharing.base import Departments, code_name
from govchain.sharing.purposes import PurposeBook
from govchain.tx import Sender

log = logging.getLogger(__name__)
T = TypeVar("T")

ROLE_STAFF, ROLE_APPROVER, ROLE_ADMIN, ROLE_AUDITOR = 1, 2, 4, 8
ROLE_NAMES = {ROLE_STAFF: "STAFF", ROLE_APPROVER: "APPROVER", ROLE_ADMIN: "ADMIN", 8: "AUDITOR"}
#: what a page catches when the chain or the index fails: a banner, never a 500
CHAIN_ERRORS: tuple[type[BaseException], ...] = (GovchainError, *TRANSPORT_ERRORS)
INDEX_ERRORS: tuple[type[BaseException], ...] = (IndexerError, SQLAlchemyError, *CHAIN_ERRORS)
#: how long a synced index is taken as current before the next page syncs it again
SYNC_EVERY = 0.5
#: how long an answer of the chain is reused by the next pages (seconds): liveness, the key's
#: roles, the department list. Actions re-check on chain when they are sent.
LIVENESS_TTL = 1.0
ROLES_TTL = 5.0
DEPARTMENTS_TTL = 60.0


@dataclass(frozen=True)
class PortalConfig:
    key: str
    rpc: str | None = None
    home: Path | None = None
    index: str | None = None
    chain_id: int | None = None
    session_minutes: float = 15.0
    #: (department code, store URL) of data nodes whose serve logs the auditor's pages audit
    stores: tuple[tuple[str, str], ...] = ()
    #: (department code, file) of data nodes' JSON-lines access logs (refusals, failures)
    access_logs: tuple[tuple[str, str], ...] = ()
    #: a folder the department's approvers share: signed decisions of multi-approver steps
    signatures: Path | None = None
    #: JSON files of purpose texts published off chain (a list of texts, or hash -> text)
    purposes: tuple[Path, ...] = ()
    rpc_timeout: float = 5.0


@dataclass(frozen=True)
class Roles:
    """The key's standing on chain: its department (if any) and role bits there."""

    department: str | None = None
    bits: int = 0
    active: bool = False

    def has(self, role: int) -> bool:
        return self.active and (self.bits & role) == role

    @property
    def names(self) -> list[str]:
        return [name for bit, name in ROLE_NAMES.items() if self.active and self.bits & bit]


@dataclass
class Problem:
    """Something a page could not reach: ``what`` (chain, index, node NAME) and the detail."""

    what: str
    detail: str


@dataclass
class Backend:
    config: PortalConfig
    keystore: Keystore = field(init=False)
    address: ChecksumAddress = field(init=False)
    _connection: Connection | None = field(default=None, init=False)
    _engine: Engine | None = field(default=None, init=False)
    _indexer: Indexer | None = field(default=None, init=False)
    _synced_at: float = field(default=0.0, init=False)
    _cache: dict[str, tuple[float, Any]] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        self.keystore = Keystore(self.config.home)
        self.address = self.keystore.show(self.config.key).address  # missing key: fails early

    # --- the key ----------------------------------------------------------------------------

    def unlock(self, passphrase: str) -> LocalAccount:
        """The decrypted key; :class:`~govchain.errors.WrongPassphrase` if it does not open."""
        return self.keystore.load(self.config.key, passphrase)

    def keep_comment(self, about: bytes, text: str, salt: bytes) -> None:
        """Keep a decision's comment and salt (only their commitment goes on chain) in
        ``<home>/portal/comments.json``, so the department can show the text later; ``about``
        is the case or share request id."""
        path = self.keystore.folder.parent / "portal" / "comments.json"
        try:
            kept = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            kept = []
        kept.append({"id": "0x" + about.hex(), "text": text, "salt": "0x" + salt.hex()})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(kept, ensure_ascii=False, indent=1), encoding="utf-8")

    def purpose_book(self) -> PurposeBook:
        """Purpose texts known off chain: signed or relayed here (with their salts), the
        well-known legacy ones, and published files (``--purposes``); each checked against
        its key (:mod:`govchain.sharing.purposes`)."""
        path = self.keystore.folder.parent / "portal" / "purposes.json"
        return PurposeBook.at(path, self.config.purposes)

    # --- the chain --------------------------------------------------------------------------

    @property
    def rpc_url(self) -> str:
        return rpc_url(self.config.rpc)

    def connection(self) -> Connection:
        """The chain (opened on first use; :class:`NetworkUnavailable` when it does not answer)."""
        with self._lock:
            if self._connection is None:
                self._connection = Connection.open(
                    self.config.rpc,
                    self.config.home,
                    self.config.chain_id,
                    timeout=self.config.rpc_timeout,
                )
            return self._connection

    def cached(self, name: str, ttl: float, read: Callable[[], T]) -> T:
        """``read()``, reused for ``ttl`` seconds (a failure is not cached)."""
        now = time.monotonic()
        found = self._cache.get(name)
        if found is not None and now - found[0] < ttl:
            return cast(T, found[1])
        value = read()
        self._cache[name] = (now, value)
        return value

    def chain_problem(self) -> Problem | None:
        """None when the chain answered within the last second, else what the banner says."""
        try:
            self.cached("alive", LIVENESS_TTL, lambda: self.connection().w3.eth.block_number)
        except CHAIN_ERRORS as exc:
            self._connection = None
            return Problem("chain", f"{self.rpc_url}: {_reason(exc)}")
        return None

    def departments(self) -> dict[str, str]:
        """Department code -> name, every department in the registry (cached a minute)."""

        def read() -> dict[str, str]:
            registry = self.connection().contract("DepartmentRegistry")
            out = {}
            for i in range(registry.functions.departmentCount().call()):
                raw = registry.functions.departmentAt(i).call()
                out[code_name(raw)] = str(registry.functions.department(raw).call()[1])
            return out

        return dict(self.cached("departments", DEPARTMENTS_TTL, read))

    def sender(self, account: LocalAccount) -> Sender:
        c = self.connection()
        return Sender(c.w3, account, c.decoder())

    def roles(self) -> Roles:
        """The key's department and roles (DepartmentRegistry.memberOf, cached 5 s)."""

        def read() -> Roles:
            dept, bits, active = Departments(self.connection()).member_of(self.address)
            if not any(dept):
                return Roles()
            return Roles(code_name(dept), int(bits), bool(active))

        return self.cached("roles", ROLES_TTL, read)

    # --- the event index --------------------------------------------------------------------

    def index_target(self) -> str:
        if self.config.index:
            return self.config.index
        path = self.connection().home / "index" / f"{self.connection().chain_id}.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        return str(path)

    def engine(self) -> Engine:
        """The event index, once it is known to hold no other chain's events (review s31/3 F2:
        one index file shared by two chains would mix them in her trail; IndexerError, shown
        as the index's problem)."""
        if self._engine is None:
            target = self.index_target()
            engine = open_index(target)
            try:
                chain: int | None = self.connection().chain_id
            except CHAIN_ERRORS:
                chain = self.config.chain_id  # the chain is down: the index is still shown
            held = chains_held(engine)
            other = [c for c in held if c != chain] if chain is not None else held[1:]
            if other:
                engine.dispose()
                raise IndexerError(
                    f"the index {target} holds events of chain {', '.join(map(str, other))}, "
                    "not only this portal's: give the portal an index of its own (--index)"
                )
            self._engine = engine
        return self._engine

    def sync_index(self, force: bool = False) -> Problem | None:
        """Bring the index up to the chain's head (at most every SYNC_EVERY seconds).

        A chain that does not answer leaves the index as it is (the pages show what it holds);
        the returned problem goes in the banner.
        """
        if not force and time.monotonic() - self._synced_at < SYNC_EVERY:
            return None
        try:
            engine = self.engine()
            if self._indexer is None:
                deployment = self.connection().deployment
                watched = contracts_from_manifest(
                    {n: c.address for n, c in deployment.contracts.items()},
                    {n: c.block for n, c in deployment.contracts.items()},
                )
                self._indexer = Indexer(engine, RpcLogSource(self.rpc_url), watched)
            with self._lock:
                while not self._indexer.sync().caught_up:
                    pass
        except INDEX_ERRORS as exc:
            self._connection = None
            self._indexer = None
            what = "chain" if _is_network(exc) and not isinstance(exc, SQLAlchemyError) else "index"
            detail = _reason(getattr(exc, "orig", None) or exc)
            return Problem(what, f"{self.rpc_url if what == 'chain' else 'index'}: {detail}")
        self._synced_at = time.monotonic()
        return None


def _is_network(exc: BaseException) -> bool:
    return isinstance(exc, (NetworkUnavailable, *TRANSPORT_ERRORS)) or "connect" in str(exc).lower()


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
