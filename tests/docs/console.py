"""Commands shown in the docs, extracted so a test can run them.

A fenced block marked ``console`` holds a shell session: lines starting ``$ `` are commands
(a trailing ``\\`` continues one), other lines are sample output. A command ending in
``# exits N`` is expected to exit with N (a refusal the docs show on purpose); every other
command must exit 0. ``$ make ...`` lines set up the machine and are not run by the docs test,
which provides its own devnet and home.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

FENCE = re.compile(r"^```console\s*$")
EXITS = re.compile(r"\s+#\s*exits\s+(\d+)\s*$")


@dataclass(frozen=True)
class Command:
    line: int
    text: str
    exit_code: int = 0


def commands(markdown: Path) -> list[Command]:
    out: list[Command] = []
    inside = False
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(markdown.read_text().splitlines(), 1):
        if not inside:
            inside = bool(FENCE.match(raw))
            continue
        if raw.startswith("```"):
            inside = False
            continue
        if pending:
            pending.append(raw)
        elif raw.startswith("$ "):
            pending, start = [raw[2:]], number
        else:
            continue
        if pending[-1].endswith("\\"):
            continue
        text = "\n".join(pending)
        pending = []
        match = EXITS.search(text)
        code = int(match.group(1)) if match else 0
        if match:
            text = text[: match.start()]
        if not text.startswith("make "):
            out.append(Command(start, text, code))
    return out


def script(markdown: Path) -> str:
    """A bash script running every command and stopping at the first unexpected exit code."""
    # a command that fails stops the script; the data nodes it started in the background go
    # with it (they hold its output pipes: left running, the caller would wait for them forever)
    lines = ["set -u -o pipefail", "trap 'kill $(jobs -p) 2>/dev/null' EXIT"]
    for c in commands(markdown):
        where = shlex.quote(f"{markdown.name}:{c.line}")
        lines += [
            c.text,
            "rc=$?",
            f'if [ "$rc" -ne {c.exit_code} ]; then '
            f'echo "{where}: expected exit {c.exit_code}, got $rc" >&2; exit 100; fi',
        ]
    return "\n".join(lines) + "\n"
