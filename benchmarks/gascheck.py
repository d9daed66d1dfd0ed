"""Gas is deterministic: re-measure the gas tables and compare them with the committed ones.

Run: ``python -m benchmarks.gascheck`` (about 20 s). It reads the ``gas_*.json`` tables on
disk (the committed figures), runs the gas bench modules again on a fresh private anvil, and
compares every operation's gas. The modules pin the chain clock (benchmarks/conftest.py), but
some calldata still holds hashes and signatures over run-dependent values (ape's estimate of the
next block time, random salts), whose zero bytes cost 4 gas instead of 16: a difference of at
most ``CALLDATA_NOISE`` is reported, not failed. Exit 1 listing each operation whose gas changed
by more (a contract or compiler change: run ``make bench`` and commit the new table with the
reason), or that appeared or disappeared.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
MODULES = ["bench_identity", "bench_citizen", "bench_governance", "bench_sharing", "bench_approval"]
CALLDATA_NOISE = 48  # four calldata bytes turning zero <-> non-zero
TABLES = ["gas_identity", "gas_citizen", "gas_governance", "gas_sharing", "gas_approval"]


def _gas(name: str) -> dict[str, int]:
    path = RESULTS / f"{name}.json"
    if not path.exists():
        return {}
    return {row["operation"]: int(row["gas"]) for row in json.loads(path.read_text())}


def main() -> int:
    committed = {name: _gas(name) for name in TABLES}
    cmd = [
        sys.executable,
        "-m",
        "govchain.toolchain.testrun",
        *(str(HERE / f"{m}.py") for m in MODULES),
        "-q",
        "-p",
        "no:cacheprovider",
    ]
    run = subprocess.run(cmd, cwd=HERE.parent, env=dict(os.environ), check=False)
    if run.returncode != 0:
        print("gascheck: the gas benchmarks failed", file=sys.stderr)
        return 1
    problems: list[str] = []
    noise: list[str] = []
    for name in TABLES:
        fresh = _gas(name)
        for op in sorted(set(committed[name]) | set(fresh)):
            before, after = committed[name].get(op), fresh.get(op)
            if before == after:
                continue
            line = f"{name}: {op}: committed {before}, measured {after}"
            if before is not None and after is not None and abs(before - after) <= CALLDATA_NOISE:
                noise.append(line)
            else:
                problems.append(line)
    for line in noise:
        print(f"calldata noise: {line}")
    for line in problems:
        print(f"CHANGED: {line}")
    total = sum(len(t) for t in committed.values())
    print(f"gascheck: {total} operations, {len(problems)} changed, {len(noise)} within noise")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
