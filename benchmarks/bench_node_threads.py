"""Per-thread CPU time and context switches of the data node's workers during a timed load.

Not a test: a command for ``GOVCHAIN_BENCH_NODE_ATTACH`` (benchmarks/bench_node.py), which starts
it beside the timed load and stops it with SIGINT after it::

    GOVCHAIN_BENCH_NODE_ATTACH='python -m benchmarks.bench_node_threads --pids {pids} \\
        --names /tmp/stats --out /tmp/threads.json'

It reads ``/proc/<pid>/task/<tid>/stat`` (user and system CPU ticks) and ``.../status``
(voluntary and involuntary context switches) of every thread of the given processes when it
starts and when it is stopped, and writes the differences grouped by what the thread is: the
Python name each worker publishes in ``<pid>.threads`` under ``--names`` (its
``GOVCHAIN_NODE_STATS`` folder) with its number dropped ("govchain-chain_2" -> "govchain-chain"),
else the kernel's name of the thread (granian's Rust threads). Counts are per thread kind over all
workers; ``--requests`` divides them per request.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import threading
from pathlib import Path
from typing import Any

TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def snapshot(pids: list[int]) -> dict[int, dict[str, Any]]:
    """tid -> {pid, comm, utime, stime (ms), voluntary, involuntary}."""
    out: dict[int, dict[str, Any]] = {}
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                stat = (task / "stat").read_text()
                status = (task / "status").read_text()
                comm = (task / "comm").read_text().strip()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            counts = dict(
                line.split(":\t", 1) for line in status.splitlines() if "ctxt_switches" in line
            )
            out[int(task.name)] = {
                "pid": pid,
                "comm": comm,
                "utime": int(fields[11]) * TICK_MS,
                "stime": int(fields[12]) * TICK_MS,
                "voluntary": int(counts.get("voluntary_ctxt_switches", 0)),
                "involuntary": int(counts.get("nonvoluntary_ctxt_switches", 0)),
            }
    return out


def names(folder: Path | None, pids: list[int]) -> dict[int, str]:
    """tid -> the Python thread's name, as each worker published it."""
    found: dict[int, str] = {}
    if folder is None:
        return found
    for pid in pids:
        path = folder / f"{pid}.threads"
        if path.exists():
            found.update({int(k): str(v) for k, v in json.loads(path.read_text()).items()})
    return found


def kind(tid: int, pid: int, comm: str, named: dict[int, str]) -> str:
    if tid == pid:
        return "main (event loop)"
    name = named.get(tid)
    if name is None:
        return f"{comm} (native)"
    return re.sub(r"_\d+$", "", name)


def by_kind(
    before: dict[int, dict[str, Any]], after: dict[int, dict[str, Any]], named: dict[int, str]
) -> dict[str, dict[str, float]]:
    """The differences between two snapshots, summed by thread kind (and a "total")."""
    kinds: dict[str, dict[str, float]] = {}
    for tid, now in after.items():
        then = before.get(tid, {"utime": 0, "stime": 0, "voluntary": 0, "involuntary": 0})
        row = kinds.setdefault(
            kind(tid, now["pid"], now["comm"], named),
            {"threads": 0, "user_ms": 0, "system_ms": 0, "voluntary": 0, "involuntary": 0},
        )
        row["threads"] += 1
        row["user_ms"] += now["utime"] - then["utime"]
        row["system_ms"] += now["stime"] - then["stime"]
        row["voluntary"] += now["voluntary"] - then["voluntary"]
        row["involuntary"] += now["involuntary"] - then["involuntary"]
    keys = ("threads", "user_ms", "system_ms", "voluntary", "involuntary")
    kinds["total"] = {k: sum(r[k] for r in kinds.values()) for k in keys}
    return kinds


def per_request(kinds: dict[str, dict[str, float]], requests: int) -> dict[str, dict[str, float]]:
    """Each kind's CPU ms and context switches per request (and its thread count)."""
    return {
        name: {k: (v if k == "threads" else round(v / requests, 4)) for k, v in row.items()}
        for name, row in kinds.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--pids", required=True, help="comma-separated process ids")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--names", type=Path, default=None)
    parser.add_argument("--requests", type=int, default=0)
    args = parser.parse_args()
    pids = [int(p) for p in args.pids.split(",") if p]
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    before = snapshot(pids)
    stop.wait()
    kinds = by_kind(before, snapshot(pids), names(args.names, pids))
    result: dict[str, Any] = {"by_thread": kinds}
    if args.requests:
        result["per_request"] = per_request(kinds, args.requests)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
