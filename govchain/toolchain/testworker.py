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

Session fixtures first: every test of a file asks for the session fixtures any test of the file
uses (:func:`session_fixtures_first`), so the file's first test sets them up before ape
snapshots the module, and no later snapshot revert can take a session deployment away.

Test accounts: ape re-derives a test account from the mnemonic (PBKDF2 of the seed, then the
HD path) every time one is asked for, and its trace of every reverted transaction asks whether
each address in the call tree is a test account, deriving all 60 again per address. The
derivation is a pure function of (mnemonic, count, path, index), so the plugin memoises it:
the same keys, computed once per worker instead of thousands of times.

Revert traces: on every reverted transaction ape-foundry renders the transaction's whole call
tree (decoding every frame against every known contract) to stdout before raising the error,
and most tests revert on purpose (``ape.reverts``). The error raised is the same either way;
only that printout, which pytest captures and discards for a passing test, is skipped here.
``GOVCHAIN_TEST_TRACES=1`` renders it again when a failure needs the call tree.

anvil's disk: ape-foundry starts anvil without a cache path, so anvil would write the states
of old blocks (~1 MB each, up to 3,600 per anvil) to ``~/.foundry/anvil/tmp`` and never remove
them (see :mod:`govchain.toolchain.devnet`). The plugin adds ``--cache-path`` with a private
temporary folder of this process, removed when pytest finishes, after ape stopped its anvil.

Per-call work: :mod:`govchain.toolchain.apecalls` removes what ape repeats on every JSON-RPC
call or transaction although its answer cannot have changed (proxy look-ups, ``requests``'
layers for loopback posts, ``eth_getCode``, the latest block's gas limit, the mining mode,
ape's configuration objects, a nonce look-up per receipt, signer recovery, a debug trace per
transaction), polls receipts from loopback nodes every 5 ms, and prunes ape's node-process map
of dead anvils.

Settled reverts: :mod:`govchain.toolchain.settle` holds every ``evm_snapshot`` and ``evm_revert``
of the process until the node has mined the transactions it was sent (a revert during mining
leaves anvil with a hole in its blocks), and checks that every revert brought the head back to
its snapshot's block; a test during which one did not fails at its teardown. It is installed
when pytest imports this plugin, before any conftest, and unlike the per-call cuts it is not
switched off by ``GOVCHAIN_TEST_APE_CALLS=0``.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from govchain.toolchain import apecalls, settle, testanvil

PORT_VARIABLE = "GOVCHAIN_TEST_ANVIL_PORT"
TRACES_VARIABLE = "GOVCHAIN_TEST_TRACES"
DURATIONS = Path("tests") / "durations.json"
UNRECORDED_SECONDS = 600.0

if port := os.environ.get(PORT_VARIABLE):
    os.environ["APE_FOUNDRY_HOST"] = f"http://127.0.0.1:{int(port)}"

# now, when pytest imports the plugin (-p), before it loads the conftests of the paths it was
# given: a conftest that binds ``devnet.rpc`` by name (tests/cli/conftest.py) binds the wrapper
settle.install()


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


def session_fixtures_first(items: list[pytest.Item]) -> None:
    """Every test of a file asks for the session fixtures any test of that file uses.

    ape 0.8.51 snapshots the chain per module and per test, and decides from fixture names
    across every folder whether a session fixture set up in the middle of a module makes it
    step back first. When it does not, a session deployment first asked for by a module's
    second or later test is made inside the module's snapshot and reverted with it at the
    module's end while pytest keeps the object: every later user in the process finds no code
    (``ContractNotFoundError``) or another contract at the address (ci42 and ci44 of s29,
    s26, s27). Asked for by the module's first test, which runs before the module's snapshot
    is taken, a session fixture is below every snapshot but the session's. Only names that
    resolve, for each test, to the same unparametrised session fixture are added (no other
    scope can be changed this way); a fixture already set up is only looked up again."""
    by_file: dict[str, list[pytest.Item]] = defaultdict(list)
    for item in items:
        by_file[file_of(item.nodeid)].append(item)
    for group in by_file.values():
        wanted: dict[str, object] = {}
        for item in group:
            info = getattr(item, "_fixtureinfo", None)
            for name in getattr(info, "names_closure", ()):
                defs = info.name2fixturedefs.get(name)  # type: ignore[union-attr]
                if defs and defs[-1].scope == "session" and not defs[-1].params:
                    wanted.setdefault(name, defs[-1])
        for item in group:
            info = getattr(item, "_fixtureinfo", None)
            if info is None:
                continue
            for name, fixturedef in wanted.items():
                if name in info.name2fixturedefs:
                    continue
                defs = item.session._fixturemanager.getfixturedefs(name, item)
                if defs and defs[-1] is fixturedef:
                    info.name2fixturedefs[name] = tuple(defs)
                    info.names_closure.append(name)


@pytest.hookimpl(trylast=True)  # after -k/-m deselection
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    session_fixtures_first(items)
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


def memoise_test_accounts() -> None:
    """Derive each of ape's test accounts once per process (see the module's docstring)."""
    from ape_test import accounts

    derive = getattr(accounts, "generate_dev_accounts")  # noqa: B009 (not re-exported)
    if not hasattr(derive, "cache_info"):
        setattr(accounts, "generate_dev_accounts", functools.lru_cache(maxsize=None)(derive))  # noqa: B010


def skip_revert_traces() -> None:
    """Do not render call trees on reverts unless ``GOVCHAIN_TEST_TRACES=1`` (see above)."""
    if os.environ.get(TRACES_VARIABLE) == "1":
        return
    from ape_ethereum.trace import Trace

    def show(self: Trace, verbose: bool = False, file: IO[str] = sys.stdout) -> None:
        name = getattr(self, "transaction_hash", None) or "a call"
        print(f"call trace of {name} not rendered ({TRACES_VARIABLE}=1 renders it)", file=file)

    Trace.show = show  # type: ignore[method-assign]


# this process's folder: made when ape first builds an anvil command, removed (once ape has
# stopped its anvil) at pytest_unconfigure and again at exit; ape builds the command again
# after that (to name the connection), which must not make a new folder
_anvil_cache: list[Path] = []


def anvil_cache() -> Path:
    if not _anvil_cache:
        _anvil_cache.append(Path(tempfile.mkdtemp(prefix="govchain-ape-anvil-")))
        atexit.register(remove_anvil_cache)
    return _anvil_cache[0]


def private_anvil_cache() -> None:
    """Give ape-foundry's anvils this process's cache path (see the module's docstring)."""
    from ape_foundry.provider import FoundryProvider

    build = FoundryProvider.build_command
    if build.__module__ == __name__:
        return

    def build_command(self: FoundryProvider) -> list[str]:
        return [*build(self), "--cache-path", str(anvil_cache())]

    FoundryProvider.build_command = build_command  # type: ignore[method-assign]


def remove_anvil_cache() -> None:
    for folder in _anvil_cache:
        shutil.rmtree(folder, ignore_errors=True)


def pytest_configure(config: pytest.Config) -> None:
    memoise_test_accounts()
    skip_revert_traces()
    private_anvil_cache()
    testanvil.install()
    apecalls.install()
    target = config.getoption("--record-durations")
    if target and "PYTEST_XDIST_WORKER" not in os.environ:
        config.pluginmanager.register(DurationRecorder(Path(target)), "govchain-durations")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    """After the test's fixtures (ape's isolation revert among them) are torn down: a revert of
    its setup, call or teardown that left the chain without the snapshot's head fails it here
    (:mod:`govchain.toolchain.settle`; ape swallows errors raised inside its own revert)."""
    result = yield
    if problems := settle.take_problems():
        raise settle.ChainHole(f"{item.nodeid}: " + "; ".join(problems))
    return result


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """After ape's own ``pytest_unconfigure`` has stopped its anvil."""
    remove_anvil_cache()
    if os.environ.get(apecalls.SWITCH_VARIABLE) != "0":
        apecalls.prune_node_map()
