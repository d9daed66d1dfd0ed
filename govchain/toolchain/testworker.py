"""pytest plugin for ``testrun``'s parallel workers: own anvil, slowest files first.

Port: ``testrun`` starts every xdist worker with ``--tx popen//env:GOVCHAIN_TEST_ANVIL_PORT=N``
(execnet's spec syntax cannot carry the ``//`` of a URL, hence the bare port). Imported with
``-p govchain.toolchain.testworker``, this module turns the port into ``APE_FOUNDRY_HOST``
before ape connects (ape-foundry reads it from the environment when the session connects,
after collection), so ape starts and stops one private anvil per worker.

Order: xdist hands out whole files (``--dist loadfile``) in collection order, to whichever
worker is free. Each worker sorts its collection the same way, slowest file first by the
seconds recorded in ``tests/durations.json`` (files not recorded yet are assumed slow, so
they start early), which keeps one long file from starting last and running alone. Tests
inside a file keep their order. ``--record-durations PATH`` writes the seconds per file of
this run (setup, call and teardown) for the next one.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path

import pytest

PORT_VARIABLE = "GOVCHAIN_TEST_ANVIL_PORT"
DURATIONS = Path("tests") / "durations.json"
UNRECORDED_SECONDS = 600.0

if port := os.environ.get(PORT_VARIABLE):
    os.environ["APE_FOUNDRY_HOST"] = f"http://127.0.0.1:{int(port)}"


def file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--record-durations",
        metavar="PATH",
        help="write this run's seconds per test file as JSON (testrun orders files by them)",
    )


def recorded_durations(root: Path) -> dict[str, float]:
    path = root / DURATIONS
    if not path.is_file():
        return {}
    data = json.loads(path.read_text())
    return {str(name): float(seconds) for name, seconds in data.items()}


def slowest_first(nodeids: list[str], seconds: dict[str, float]) -> list[str]:
    """``nodeids`` with whole files ordered by recorded seconds, slowest first; ties and
    the tests inside a file keep their order."""
    first_seen: dict[str, int] = {}
    for index, nodeid in enumerate(nodeids):
        first_seen.setdefault(file_of(nodeid), index)

    def key(nodeid: str) -> tuple[float, int]:
        name = file_of(nodeid)
        return (-seconds.get(name, UNRECORDED_SECONDS), first_seen[name])

    return sorted(nodeids, key=key)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return
    order = slowest_first([item.nodeid for item in items], recorded_durations(config.rootpath))
    rank = {nodeid: index for index, nodeid in enumerate(order)}
    items.sort(key=lambda item: rank[item.nodeid])


class DurationRecorder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.seconds: dict[str, float] = defaultdict(float)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seconds[file_of(report.nodeid)] += report.duration

    def pytest_sessionfinish(self) -> None:
        data = {name: round(value, 1) for name, value in sorted(self.seconds.items())}
        self.path.write_text(json.dumps(data, indent=1) + "\n")


def pytest_configure(config: pytest.Config) -> None:
    target = config.getoption("--record-durations")
    if target and "PYTEST_XDIST_WORKER" not in os.environ:
        config.pluginmanager.register(DurationRecorder(Path(target)), "govchain-durations")
