"""Purpose texts beside their on-chain commitments, kept off chain.

A grant, a share request, a rejection and an open access carry a purpose on chain only as a
**salted commitment**: ``keccak256(salt ‖ utf8(text))`` with 32 fresh random bytes of salt
(:func:`purpose_commitment`), the house rule for free text ("no personal data on chain, not even
an unsalted hash of free text": a purpose such as "living subsidy case" says something about the
citizen, and an unsalted hash of it is found by hashing a list of likely purposes). The text and
its salt are known to whoever wrote or received them: the citizen who signed the consent, the
department that relayed it (the consent file carries both), the official who recorded an open
access. :class:`PurposeBook` keeps each in a JSON file of the user's home
(``<home>/purposes.json``; the portal's ``<home>/portal/purposes.json`` is read too), keyed by
the commitment, so that trails show "living subsidy case" instead of ``0x5f3a…`` where it is
known. A text is taken only if, with its salt, it hashes to the key it is filed under.

**Legacy grants.** Grants made before salting carry ``keccak256(utf8(text))``. They stay
readable: a book entry ``hash -> text`` (no salt) is taken when the unsalted hash matches, and is
reported as legacy (:attr:`Purpose.legacy`) so that pages can say the purpose's hash is not
salted. New purposes are never filed that way.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils.crypto import keccak

from govchain.errors import InvalidInput
from govchain.files import read_json

#: purposes every client knows by text (the reference scenario's case purpose): legacy, unsalted
KNOWN_PURPOSES = ("govchain.purpose:living-subsidy-case",)


def new_salt() -> bytes:
    return os.urandom(32)


def purpose_commitment(text: str, salt: bytes) -> bytes:
    """``keccak256(salt ‖ utf8(text))``: what the chain carries of a purpose (salt: 32 bytes)."""
    if not text.strip():
        raise InvalidInput("purpose", text, "must not be empty")
    if len(salt) != 32:
        raise InvalidInput("purpose salt", "0x" + bytes(salt).hex(), "expected 32 bytes")
    return bytes(keccak(bytes(salt) + text.encode("utf-8")))


def commit_purpose(text: str) -> tuple[bytes, bytes]:
    """A fresh salt for ``text`` and the commitment: ``(commitment, salt)``."""
    salt = new_salt()
    return purpose_commitment(text, salt), salt


def legacy_purpose_hash(text: str) -> bytes:
    """``keccak256(utf8(text))``: how purposes were hashed before salting (read only)."""
    return bytes(keccak(text=text))


def purpose_key(text: str, salt: bytes | None = None) -> str:
    """The ``0x`` hex the chain carries for ``text`` (salted, or legacy without ``salt``)."""
    digest = legacy_purpose_hash(text) if salt is None else purpose_commitment(text, salt)
    return "0x" + digest.hex()


def parse_salt(value: Any) -> bytes | None:
    """A 32-byte salt from ``0x`` hex (None when absent or malformed)."""
    if not isinstance(value, str) or not value.startswith("0x") or len(value) != 66:
        return None
    try:
        return bytes.fromhex(value[2:])
    except ValueError:
        return None


@dataclass(frozen=True)
class Purpose:
    """A purpose text known off chain and, unless it is a legacy entry, its salt."""

    text: str
    salt: bytes | None = None

    @property
    def legacy(self) -> bool:
        """True for an unsalted (pre-salting) purpose hash."""
        return self.salt is None

    @property
    def key(self) -> str:
        return purpose_key(self.text, self.salt)

    def entry(self) -> Any:
        return self.text if self.salt is None else {"text": self.text, "salt": hex32(self.salt)}


def hex32(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def checked(digest: str | bytes, text: str, salt: bytes | None) -> Purpose | None:
    """``Purpose(text, salt)`` if it hashes to ``digest`` (salted, or legacy without salt)."""
    key = (digest if isinstance(digest, str) else hex32(digest)).lower()
    if not text.strip():
        return None
    try:
        found = Purpose(text, salt)
        return found if found.key == key else None
    except InvalidInput:
        return None


def entries(data: Any) -> dict[str, Purpose]:
    """The purposes in a loaded JSON document whose hashes match: an object ``hash -> {"text",
    "salt"}`` (salted) or ``hash -> text`` (legacy), or a list of texts (legacy, published
    registers) or of ``{"text", "salt"}`` objects."""
    out: dict[str, Purpose] = {}
    if isinstance(data, list):
        for item in data:
            found = _item(None, item)
            if found is not None:
                out[found.key] = found
        return out
    if isinstance(data, dict):
        for digest, item in data.items():
            found = _item(str(digest), item)
            if found is not None:
                out[found.key] = found
    return out


def _item(digest: str | None, item: Any) -> Purpose | None:
    if isinstance(item, str):
        text, salt = item, None
    elif isinstance(item, dict) and isinstance(item.get("text"), str):
        text, salt = str(item["text"]), parse_salt(item.get("salt"))
        if salt is None:
            return None  # an object entry without a valid salt is not trusted
    else:
        return None
    if not text.strip():
        return None
    return checked(digest if digest is not None else Purpose(text, salt).key, text, salt)


def read_file(path: Path) -> dict[str, Purpose]:
    """The matching purposes of a JSON file (an unreadable file gives none)."""
    try:
        data = read_json(path, "purposes file", expect=None)
    except InvalidInput:  # not there, not JSON, nested past the parser's limit
        return {}
    return entries(data)


def known() -> dict[str, Purpose]:
    return {p.key: p for p in (Purpose(t) for t in KNOWN_PURPOSES)}


class PurposeBook:
    """Purpose commitment (0x hex) -> text (and salt), from the files of one home or given."""

    FILE = "purposes.json"

    def __init__(self, home: Path, published: Iterable[Path] = ()) -> None:
        self.path = home / self.FILE
        self.sources = (self.path, home / "portal" / self.FILE, *published)

    @classmethod
    def at(cls, path: Path, published: Iterable[Path] = ()) -> PurposeBook:
        """A book whose own file is ``path`` (the portal's ``<home>/portal/purposes.json``),
        reading the CLI's book of the same home (``<home>/purposes.json``) too."""
        book = cls(path.parent, published)
        book.path = path
        book.sources = (path, path.parent.parent / cls.FILE, *published)
        return book

    def purposes(self) -> dict[str, Purpose]:
        found = known()
        for source in reversed(self.sources):
            found.update(read_file(source))
        return found

    def texts(self) -> dict[str, str]:
        """Commitment -> text, salted and legacy alike."""
        return {k: p.text for k, p in self.purposes().items()}

    def legacy(self) -> set[str]:
        """The keys known only as unsalted (pre-salting) hashes."""
        return {k for k, p in self.purposes().items() if p.legacy}

    def add(self, text: str, salt: bytes | None = None) -> str:
        """File ``text`` with its ``salt`` (without one: a legacy, unsalted purpose received
        with an old grant); returns its key. New purposes are made with :meth:`commit`."""
        return self.keep(Purpose(text, salt))

    def commit(self, text: str) -> tuple[bytes, bytes]:
        """A fresh salted commitment of ``text``, filed here: ``(commitment, salt)``."""
        digest, salt = commit_purpose(text)
        self.keep(Purpose(text, salt))
        return digest, salt

    def keep(self, purpose: Purpose) -> str:
        """File ``purpose`` under its key (salted, or a legacy text received with a grant)."""
        key = purpose.key
        try:
            book = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            book = {}
        if not isinstance(book, dict):
            book = {}
        if book.get(key) != purpose.entry():
            book[key] = purpose.entry()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(book, ensure_ascii=False, indent=1), encoding="utf-8")
            tmp.replace(self.path)
        return key

    def text(self, digest: str | bytes) -> str | None:
        key = digest if isinstance(digest, str) else hex32(digest)
        return self.texts().get(key.lower())
