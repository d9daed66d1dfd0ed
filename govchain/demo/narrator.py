"""What the demo prints: chapters that say what happens and why, each transaction's hash."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table


@dataclass
class Chapter:
    title: str
    why: str
    events: list[dict[str, Any]] = field(default_factory=list)


class Narrator:
    """Narrates to the terminal, or stays quiet (``--json``) and only records."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.console = Console(file=sys.stdout, highlight=False, soft_wrap=True)
        self.chapters: list[Chapter] = []
        self.transactions: list[dict[str, Any]] = []

    def chapter(self, title: str, why: str) -> None:
        self.chapters.append(Chapter(title, why))
        if not self.quiet:
            self.console.print()
            self.console.rule(f"[bold]{len(self.chapters)}. {title}", align="left")
            self.console.print(f"[dim]{why}[/dim]")

    def did(self, text: str, tx: str | None = None, **facts: Any) -> None:
        """Something happened; ``tx`` is its transaction hash, if it was one."""
        event: dict[str, Any] = {"text": text, **facts}
        if tx is not None:
            event["tx"] = tx
            self.transactions.append({"chapter": len(self.chapters), "text": text, "tx": tx})
        self.chapters[-1].events.append(event)
        if not self.quiet:
            suffix = f"\n      [cyan]tx {tx}[/cyan]" if tx else ""
            self.console.print(f"  [green]✓[/green] {text}{suffix}")

    def refused(self, text: str, reason: str) -> None:
        """Something was refused, as it should be."""
        self.chapters[-1].events.append({"text": text, "refused": reason})
        if not self.quiet:
            self.console.print(f"  [red]✗[/red] {text}\n      [yellow]{reason}[/yellow]")

    def note(self, text: str) -> None:
        self.chapters[-1].events.append({"note": text})
        if not self.quiet:
            self.console.print(f"    [dim]{text}[/dim]")

    def table(self, title: str, columns: list[str], rows: list[list[str]]) -> None:
        self.chapters[-1].events.append({"table": title, "columns": columns, "rows": rows})
        if self.quiet:
            return
        table = Table(title=title, title_justify="left", show_lines=False)
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*row)
        self.console.print(table)

    def chapters_as_dicts(self) -> list[dict[str, Any]]:
        return [{"title": c.title, "why": c.why, "events": c.events} for c in self.chapters]
