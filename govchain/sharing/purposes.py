"""Purpose texts beside their on-chain hashes, kept off chain.

A grant, a share request and an open access carry only ``keccak256(purpose text)`` on chain.
The text is known to whoever wrote or received it: the citizen who signed the consent, the
department that relayed it (the consent file carries the text), the official who recorded an
open access. :class:`PurposeBook` keeps each text it is given in a JSON file of the user's home
(``<home>/purposes.json``; the portal's ``<home>/portal/purposes.json`` is read too), keyed by
its hash, so that trails show "living subsidy case" instead of ``0x5f3a…`` where it is known.
Nothing is added to the chain; a text is stored only if it hashes to the key it is filed under.
"""

from __future__ import annotations

import json
from pathlib import Path

from eth_utils.crypto import keccak

#: purposes every client knows by text (the reference scenario's case purpose)
KNOWN_PURPOSES = ("govchain.purpose:living-subsidy-case",)


def purpose_key(text: str) -> str:
    """The ``0x`` hex of the purpose hash of ``text`` (what the chain carries)."""
    return "0x" + keccak(text=text).hex()


class PurposeBook:
    """Purpose hash (0x hex) -> text, from the files of one home."""

    FILE = "purposes.json"

    def __init__(self, home: Path) -> None:
        self.path = home / self.FILE
        self.sources = (self.path, home / "portal" / self.FILE)

    @staticmethod
    def _read(path: Path) -> dict[str, str]:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {str(k).lower(): str(v) for k, v in data.items() if purpose_key(str(v)) == k}

    def texts(self) -> dict[str, str]:
        found = {purpose_key(t): t for t in KNOWN_PURPOSES}
        for source in reversed(self.sources):
            found.update(self._read(source))
        return found

    def add(self, text: str) -> str:
        """File ``text`` under its hash; returns the hash (0x hex)."""
        key = purpose_key(text)
        book = self._read(self.path)
        if book.get(key) != text:
            book[key] = text
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(book, ensure_ascii=False, indent=1), encoding="utf-8")
            tmp.replace(self.path)
        return key

    def text(self, digest: str | bytes) -> str | None:
        key = digest if isinstance(digest, str) else "0x" + bytes(digest).hex()
        return self.texts().get(key.lower())
