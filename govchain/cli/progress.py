"""rich progress bars for bulk work, fed by :class:`govchain.tx.BulkSender`'s progress callback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from govchain.tx import ProgressCallback


@contextmanager
def bulk_progress(
    enabled: bool = True, console: Console | None = None
) -> Iterator[ProgressCallback | None]:
    """A callback that draws one bar per phase (signed, sent, mined) on stderr, or ``None``.

    Disabled (``None``) with ``--json`` or when stderr is not a terminal, so scripts get clean output.
    """
    out = console or Console(stderr=True)
    if not enabled or not out.is_terminal:
        yield None
        return
    columns = (
        TextColumn("{task.description:<7}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=out, transient=False) as progress:
        tasks: dict[str, TaskID] = {}

        def update(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = progress.add_task(phase, total=total)
            progress.update(tasks[phase], completed=done, total=total)

        yield update
