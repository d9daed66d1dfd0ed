"""testrun: one private anvil, or one per xdist worker on ports no free_port() can return."""

from __future__ import annotations

import io
import json
import os
import socket
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from govchain.toolchain import testworker
from govchain.toolchain.testrun import PLUGIN, WORKER_PORTS, command, take_workers, worker_ports


@pytest.mark.parametrize(
    ("args", "workers"),
    [
        (["-n", "3", "tests/x"], 3),
        (["-n3", "tests/x"], 3),
        (["--numprocesses=4", "tests/x"], 4),
        (["--numprocesses", "0", "tests/x"], 0),
        (["tests/x"], 0),
    ],
)
def test_the_worker_count_is_taken_out_of_the_arguments(args: list[str], workers: int) -> None:
    assert take_workers(args) == (["tests/x"], workers)


def test_auto_is_one_worker_per_usable_cpu() -> None:
    assert take_workers(["-n", "auto"]) == ([], len(os.sched_getaffinity(0)))


def test_a_negative_worker_count_is_refused() -> None:
    with pytest.raises(ValueError):
        take_workers(["-n", "-1"])


def test_worker_ports_are_distinct_free_and_outside_the_ephemeral_range() -> None:
    ports = worker_ports(4)
    assert len(set(ports)) == 4
    low, high = (int(v) for v in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    for port in ports:
        assert port in WORKER_PORTS and not low <= port <= high
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


def test_without_workers_one_anvil_serves_the_session() -> None:
    env: dict[str, str] = {}
    args = command(["tests/x", "-q"], env)
    assert args[:2] == ["tests/x", "-q"]
    assert "--tx" not in args and "--dist" not in args
    assert args[args.index("-p") : args.index("-p") + 2] == ["-p", PLUGIN]
    assert env["APE_FOUNDRY_HOST"].startswith("http://127.0.0.1:")


def test_each_worker_gets_its_own_anvil_port_and_whole_files() -> None:
    args = command(["-n", "3", "tests/x"], {})
    specs = [args[i + 1] for i, a in enumerate(args) if a == "--tx"]
    ports = {int(spec.rsplit("=", 1)[1]) for spec in specs}
    assert len(specs) == len(ports) == 3
    assert all(spec.startswith("popen//env:GOVCHAIN_TEST_ANVIL_PORT=") for spec in specs)
    assert args[args.index("--dist") + 1] == "loadfile"
    assert "-n" not in args


def test_recorded_durations_put_the_slowest_file_first(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / testworker.DURATIONS).write_text(json.dumps({"tests/a.py": 1.0, "tests/b.py": 9}))
    assert testworker.recorded_durations(tmp_path) == {"tests/a.py": 1.0, "tests/b.py": 9.0}
    assert testworker.recorded_durations(tmp_path / "nowhere") == {}


def test_files_run_slowest_first_with_unrecorded_files_early_and_tests_in_order() -> None:
    nodeids = ["a.py::t1", "b.py::t1", "a.py::t2", "c.py::t1", "new.py::t1", "b.py::t2"]
    seconds = {"a.py": 5.0, "b.py": 50.0, "c.py": 5.0}
    assert testworker.slowest_first(nodeids, seconds) == [
        "new.py::t1",
        "b.py::t1",
        "b.py::t2",
        "a.py::t1",
        "a.py::t2",
        "c.py::t1",
    ]


def test_test_accounts_are_derived_once_and_stay_the_same_keys(accounts: Any) -> None:
    """The plugin memoises ape's key derivation: same addresses and keys as a fresh derivation,
    and asking again derives nothing."""
    from ape.utils.testing import generate_dev_accounts
    from ape_test import accounts as ape_accounts

    derive = ape_accounts.generate_dev_accounts
    assert hasattr(derive, "cache_info")  # the plugin is loaded (testrun passes -p)
    fresh = generate_dev_accounts(accounts.mnemonic, 1, hd_path=accounts.hd_path, start_index=5)[0]
    assert (accounts[5].address, accounts[5].private_key) == (fresh.address, fresh.private_key)
    hits = derive.cache_info().hits
    assert accounts[5].address in accounts
    assert derive.cache_info().hits > hits
    assert derive.cache_info().currsize <= len(accounts) + 8  # one entry per key, not per ask


def test_revert_call_trees_are_not_rendered_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    from ape_ethereum.trace import Trace

    assert Trace.show.__module__ == testworker.__name__  # replaced by the plugin
    out = io.StringIO()
    Trace.show(SimpleNamespace(transaction_hash="0xab"), file=out)  # type: ignore[arg-type]
    assert out.getvalue() == (
        f"call trace of 0xab not rendered ({testworker.TRACES_VARIABLE}=1 renders it)\n"
    )
    monkeypatch.setenv(testworker.TRACES_VARIABLE, "1")
    original = Trace.show
    testworker.skip_revert_traces()  # asked to render: leaves ape's show in place
    assert Trace.show is original


def test_apes_anvil_writes_old_states_to_the_plugins_private_folder() -> None:
    """ape-foundry starts anvil without a cache path (old states would pile up under
    ~/.foundry); the plugin gives it a folder it removes when pytest finishes."""
    import ape

    process = ape.chain.provider.process  # type: ignore[attr-defined]
    assert process is not None  # ape started this session's anvil
    args = list(process.args)
    folder = Path(args[args.index("--cache-path") + 1])
    assert folder == testworker.anvil_cache() and folder.is_dir()
    assert folder.name.startswith("govchain-ape-anvil-")
