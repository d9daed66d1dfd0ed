"""Write benchmarks/RESULTS.md from benchmarks/results/*.json.

Gas files (``gas_*.json``) are lists of rows ``{"operation", "gas", "floor", "ratio", "target",
"reference", "note"}``; other files are throughput/latency measurements (any JSON object) and
are shown as they are, with the machine they were measured on.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
OUT = HERE / "RESULTS.md"

TITLES = {
    "gas_identity": "Identity: departments, council, citizens, attestations",
    "gas_sharing": "Data sharing: catalog, anchors, grants, access records",
    "gas_approval": "Approvals: cases and e-signatures",
}


def _fmt(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def gas_table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| operation | gas | floor | ratio | target | reference | note |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        ratio = row.get("ratio")
        if ratio is None and row.get("floor"):
            ratio = row["gas"] / row["floor"]
        lines.append(
            "| "
            + " | ".join(
                [
                    _fmt(row.get("operation")),
                    _fmt(row.get("gas")),
                    _fmt(row.get("floor")),
                    f"{ratio:.2f}" if isinstance(ratio, int | float) else "",
                    _fmt(row.get("target")),
                    _fmt(row.get("reference")),
                    _fmt(row.get("note")),
                ]
            )
            + " |"
        )
    return lines


def other_table(data: Any) -> list[str]:
    if isinstance(data, dict):
        lines = ["| measure | value |", "|---|---|"]
        for key, value in data.items():
            shown = json.dumps(value) if isinstance(value, dict | list) else _fmt(value)
            lines.append(f"| {_fmt(key)} | {shown} |")
        return lines
    if isinstance(data, list) and data and isinstance(data[0], dict):
        keys = list(dict.fromkeys(k for row in data for k in row))
        lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
        lines += ["| " + " | ".join(_fmt(row.get(k)) for k in keys) + " |" for row in data]
        return lines
    return ["```", json.dumps(data, indent=2), "```"]


def render() -> str:
    parts = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m benchmarks.report`) from `benchmarks/results/*.json`.",
        "Gas is deterministic and reported exactly; `floor` is the first-principles minimum of",
        "`benchmarks/gasfloor.py` (21,000 + calldata + new/updated slots + logs + signature",
        "recoveries) and `ratio` = gas / floor. Reference figures were measured on the same",
        "toolchain (solcjs 0.8.37, anvil 1.7.1). Timings are medians of several runs on the machine",
        f"noted in each file (this report was written on {platform.machine()} {platform.system()}).",
        "",
    ]
    for path in sorted(RESULTS.glob("*.json")):
        data = json.loads(path.read_text())
        parts.append(f"## {TITLES.get(path.stem, path.stem)}")
        parts.append("")
        parts.append(f"Source: `benchmarks/results/{path.name}`")
        parts.append("")
        if path.stem.startswith("gas_") and isinstance(data, list):
            parts += gas_table(data)
        else:
            parts += other_table(data)
        parts.append("")
    return "\n".join(parts)


def main() -> int:
    OUT.write_text(render())
    print(f"wrote {OUT.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
