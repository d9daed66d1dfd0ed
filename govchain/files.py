"""Reading JSON that someone else wrote: one readable refusal, never a traceback.

A credential, an evidence bundle, a signed rule, service, case or objection decision, a citizen's
signed consent, a node's access log: each comes from another party, who may hand over anything.
:func:`read_json` (a file) and :func:`parse_json` (text already read: an upload, a log line) are
the one parser of such text. They bound its size, catch what :func:`json.loads` raises on bad
text - ``ValueError`` (not JSON, not UTF-8) and ``RecursionError`` (arrays or objects nested
deeper than the interpreter's recursion limit: ``[[[[…]]]]``, 2 KB at Python's default limit) -
and check the top-level type, and turn every failure into one
:class:`~govchain.errors.InvalidInput` naming the file.

Numbers are checked as they are parsed (review s28 L-5): JSON's ``1e400`` would be Python's
``float('inf')`` and the literals ``Infinity``/``NaN`` its ``inf``/``nan``, and ``int()`` of
those raises ``OverflowError``/``ValueError`` deep inside a reader; they are refused here, for
every reader at once. A number with a fraction (``1.5``) is refused too unless the caller asks
for ``fractions=True`` (a record's own content, an access log's ``duration_ms``): every field of
the signed files (consents, decisions, rules, parts) is a whole number, and ``int(1.5)`` would
quietly read it as 1. What the caller then reads from the value (its fields, their types,
their ranges) is the caller's to check.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
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


class _BadNumber(ValueError):
    """A number :func:`parse_json` refuses (the reason is the message)."""


def _shown(text: str) -> str:
    return text if len(text) <= 24 else text[:20] + "…"


def _constant(name: str) -> Any:
    raise _BadNumber(f"{name} is not a number JSON allows")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _BadNumber(f"number {_shown(text)} is out of range")
    return value


def _whole(text: str) -> float:
    value = _finite(text)
    exact = Decimal(text)  # 1e-400 reads as 0.0, and 0.0 is a whole float
    if exact != exact.to_integral_value():
        raise _BadNumber(f"number {_shown(text)} is not a whole number")
    return value


def parse_json(
    raw: str | bytes,
    what: str,
    source: str,
    expect: type | None = dict,
    *,
    fractions: bool = False,
) -> Any:
    """The JSON value of ``raw`` (of type ``expect`` unless ``None``), or one InvalidInput
    ``invalid <what> '<source>': <reason>``. A number out of a float's range (``1e400``),
    ``Infinity``/``NaN``, and unless ``fractions`` a number with a fraction, are refused."""
    try:
        data = json.loads(
            raw, parse_constant=_constant, parse_float=_finite if fractions else _whole
        )
    except _BadNumber as exc:
        raise InvalidInput(what, source, f"not usable JSON ({exc})") from None
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
    *,
    fractions: bool = False,
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
    return parse_json(raw, what, str(path), expect, fractions=fractions)


__all__ = ["MAX_JSON_BYTES", "parse_json", "read_json"]
