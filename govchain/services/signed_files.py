"""Versioned signed-change files: what one ``govchain … sign`` command writes and another relays.

A file is a JSON object whose ``format`` names its version. :meth:`SignedFileFormat.load` is the
one reader of such files (rule changes, ``govchain rule``; service changes, ``govchain offer``):
it refuses a file of a version the contract no longer accepts by saying why and which command
signs it again, any other format as ``not a <format> file``, and every failure to read or parse
one - its own or the caller's ``parse`` - as one :class:`~govchain.errors.InvalidInput` line
naming the file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from govchain.errors import InvalidInput
from govchain.files import read_json

T = TypeVar("T")


@dataclass(frozen=True)
class SignedFileFormat:
    """One kind of signed-change file: its current ``format``, the earlier ones (format -> why
    the contract no longer accepts them), what it is called in errors, the command signing it."""

    name: str
    what: str
    sign_command: str
    old: Mapping[str, str] = field(default_factory=dict)

    def load(self, path: Path, parse: Callable[[dict[str, Any]], T]) -> T:
        """``parse`` of the JSON object in ``path`` once its format is this one."""
        data = read_json(path, self.what, expect=None)
        try:
            old = data.get("format") if isinstance(data, dict) else None
            if isinstance(old, str) and old in self.old:
                raise ValueError(
                    f"{old}: {self.old[old]}, which the contract no longer accepts; "
                    f"sign the change again ({self.sign_command})"
                )
            if not isinstance(data, dict) or data.get("format") != self.name:
                raise ValueError(f"not a {self.name} file")
            return parse(data)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InvalidInput(self.what, str(path), str(exc)) from None


__all__ = ["SignedFileFormat"]
