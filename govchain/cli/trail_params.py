"""What the trail commands share: ``--since/--until`` (ISO dates, inclusive), ``--csv``, and
purpose texts from the user's :class:`~govchain.sharing.purposes.PurposeBook`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import click

from govchain import csvout
from govchain.cli.context import CliContext
from govchain.sharing.purposes import PurposeBook

F = TypeVar("F", bound=Callable[..., Any])
DAY = 86_400


def trail_options(function: F) -> F:
    """``--since DATE``, ``--until DATE`` (ISO, UTC days, both inclusive) and ``--csv``."""
    function = click.option(
        "--csv",
        "as_csv",
        is_flag=True,
        help="print CSV, one row per entry, for a spreadsheet (a text cell it would run as a formula starts with an apostrophe; --json keeps every value exact)",
    )(function)
    function = click.option(
        "--until", type=click.DateTime(["%Y-%m-%d"]), help="up to this day (ISO date, UTC)"
    )(function)
    return click.option(
        "--since", type=click.DateTime(["%Y-%m-%d"]), help="from this day (ISO date, UTC)"
    )(function)


def _epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def window(since: datetime | None, until: datetime | None) -> Callable[[int | None], bool]:
    """Whether a unix time falls in the days ``since`` .. ``until`` (open ends if None)."""
    if since and until and since > until:
        raise click.BadParameter("--since is after --until", param_hint="--since")
    low = _epoch(since.date()) if since else None
    high = _epoch(until.date()) + DAY if until else None

    def inside(timestamp: int | None) -> bool:
        if timestamp is None:
            return low is None and high is None
        return (low is None or timestamp >= low) and (high is None or timestamp < high)

    return inside


def purposes(obj: CliContext) -> PurposeBook:
    return PurposeBook(obj.state_home)


def emit_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> None:
    """``columns`` of ``rows`` as CSV on standard output (:mod:`govchain.csvout`)."""
    click.echo(csvout.table(columns, ([row.get(c) for c in columns] for row in rows)), nl=False)
