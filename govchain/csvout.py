"""CSV that a spreadsheet opens as text: the one writer of every CSV file govchain produces.

The cells of an access trail come from people other than its reader: a purpose is written by a
department's official (in a consent request, or when recording an open access), a category
name is registered by a department. Spreadsheets run a cell that begins with ``=``, ``+``,
``-`` or ``@`` (some also after a leading tab or carriage return) as a formula, so such a
purpose could, when a citizen or an auditor opens the file, show another text or, with
``HYPERLINK``, send the row's other cells to a web address on a click (OWASP, "CSV
Injection"). A text cell that begins with one of those characters is written with a leading
apostrophe, OWASP's advice: spreadsheets show the cell as text, and a reader sees that the
value was changed. The first character is judged as a spreadsheet may read it: after folding
compatibility forms (U+FF1D, U+FF0B, U+FE66: the full-width and small equals and plus that a
Chinese input method types are ``=`` and ``+``), and past leading white space and invisible
characters (a space, U+3000, a zero-width space, a byte-order mark), which an importer may
trim. Any other text is written as it is; numbers (block numbers, counts) are never changed.

Control characters but the line feed are written escaped by :func:`govchain.printable.printable`
(``\\x1b``, ``\\r``, ``\\t``, ``\\u202e``, the terminal's rule, one source): an escape
sequence in a purpose would otherwise act on the terminal that shows the CSV (``--csv`` prints to
standard output), and a tab or carriage return at a cell's start is one more formula start. Line
feeds inside a cell stay, quoted by the ``csv`` module as RFC 4180 says.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence

from govchain.printable import printable

#: first characters a spreadsheet may take for the start of a formula (a leading tab or carriage
#: return, the other two OWASP names, is escaped before this is looked at)
FORMULA_STARTS = ("=", "+", "-", "@")
# what an importer may trim before the first character: white space and invisible characters
_LEADING = re.compile(r"^[\s\u200b-\u200d\u2060\ufeff]+")


def starts_a_formula(text: str) -> bool:
    """Whether a spreadsheet could take ``text`` for a formula (see the module's text)."""
    folded = _LEADING.sub("", unicodedata.normalize("NFKC", text))
    return folded.startswith(FORMULA_STARTS)


def cell(value: object) -> object:
    """``value`` as a CSV cell (None is empty; text made inert as the module says)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return value
    text = printable(value, keep_newlines=True)
    return "'" + text if starts_a_formula(text) else text


def table(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A header line of ``columns`` and one line per row, every cell through :func:`cell`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([cell(c) for c in columns])
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return out.getvalue()
