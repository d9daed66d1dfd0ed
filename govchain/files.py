"""Reading JSON that someone else wrote: one readable refusal, never a traceback.

A credential, an evidence bundle, a signed rule, service, case or objection decision, a citizen's
signed consent, a node's access log: each comes from another party, who may hand over anything.
:func:`read_json` (a file) and :func:`parse_json` (text already read: an upload, a log line) are
the one parser of such text. They bound its size, catch what :func:`json.loads` raises on bad
text - ``ValueError`` (not JSON, not UTF-8) and ``RecursionError`` (arrays or objects nested
deeper than the interpreter's recursion limit: ``[[[[…]]]]``, 2 KB at Python's default limit) -
and check the top-level type, and turn every failure into one
:class:`~govchain.errors.InvalidInput` naming the file. What the caller then reads from the value
(its fields, their types) is the caller's to check.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from govchain.errors import InvalidInput

MAX_JSON_BYTES = 16 * 1024 * 1024
"""The largest file :func:`read_json` parses (an evidence bundle with its documents is far less)."""

_KINDS: dict[type, str] = {
    dict: "a JSON object",
    list: "a JSON array",
    str: "a JSON string",
}


def parse_json(raw: str | bytes, what: str, source: str, expect: type | None = dict) -> Any:
    """The JSON value of ``raw`` (of type ``expect`` unless ``None``), or one InvalidInput
    ``invalid <what> '<source>': <reason>``."""
    try:
        data = json.loads(raw)
    except RecursionError:  # nesting deeper than the parser's recursion limit
        raise InvalidInput(what, source, "not JSON (nested too deeply)") from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise InvalidInput(what, source, f"not JSON ({str(exc)[:120]})") from None
    if expect is not None and not isinstance(data, expect):
        kind = _KINDS.get(expect, f"a JSON {expect.__name__}")
        raise InvalidInput(what, source, f"expected {kind}")
    return data


def read_json(
    path: str | Path,
    what: str,
    expect: type | None = dict,
    limit: int = MAX_JSON_BYTES,
) -> Any:
    """The JSON value in the file ``path`` (see :func:`parse_json`): a file that cannot be read
    or holds more than ``limit`` bytes is refused the same way, naming the file."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise InvalidInput(what, str(path), exc.strerror or str(exc)) from None
    if len(raw) > limit:
        raise InvalidInput(what, str(path), f"larger than {limit} bytes")
    return parse_json(raw, what, str(path), expect)


__all__ = ["MAX_JSON_BYTES", "parse_json", "read_json"]
