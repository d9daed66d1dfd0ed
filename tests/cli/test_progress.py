"""Progress bars for bulk work: drawn on a terminal, absent for scripts."""

from __future__ import annotations

import io

from rich.console import Console

from govchain.cli.progress import bulk_progress


def test_no_bar_when_disabled_or_not_a_terminal() -> None:
    with bulk_progress(enabled=False) as bar:
        assert bar is None
    with bulk_progress(console=Console(file=io.StringIO())) as bar:
        assert bar is None


def test_a_bar_per_phase_on_a_terminal() -> None:
    out = io.StringIO()
    with bulk_progress(console=Console(file=out, force_terminal=True, width=80)) as bar:
        assert bar is not None
        bar("signed", 5, 10)
        bar("signed", 10, 10)
        bar("sent", 10, 10)
    text = out.getvalue()
    assert "signed" in text and "sent" in text and "10/10" in text
