"""Text someone else wrote, made safe to print on a terminal (review s28 L-6).

A credential's keys, an issuer id, a citizen's objection reason, a record's content, a file's
description of what it asks to sign, an error message quoting any of these: each can hold
terminal control sequences (``ESC[2K`` erases the line, ``ESC[1G`` returns to column 1, ``\\r``
does the same), so a refusal could be drawn over as ``VALID: …``. :func:`printable` shows every
control character escaped the way Python writes it in a string (``\\x1b``, ``\\r``, ``\\x9b``,
``\\u202e``): the C0 controls (line breaks too, unless kept), DEL, the C1 controls, and the
Unicode marks that reorder or break a line (bidirectional overrides and isolates, U+2028/2029).
Printable text of any script (Chinese names and reasons) is left as it is.
"""

from __future__ import annotations

import re

_CONTROL = "\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_ALL = re.compile(f"[{_CONTROL}]")
_BUT_NEWLINES = re.compile(f"(?!\n)[{_CONTROL}]")


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    return repr(char)[1:-1] if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def printable(text: str, keep_newlines: bool = False) -> str:
    """``text`` with its control characters shown escaped; ``\\n`` kept if ``keep_newlines``
    (the CLI's own multi-line output; a line of someone else's text keeps nothing)."""
    return (_BUT_NEWLINES if keep_newlines else _ALL).sub(_escaped, text)


__all__ = ["printable"]
