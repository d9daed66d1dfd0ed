"""Copy the compiled contracts a client needs from ape's build into the package (``govchain/abi/``).

``python -m govchain.toolchain.abi_bundle`` reads ``.build/__local__.json`` (what
``ape compile`` wrote) and writes :data:`BUNDLE_PATH`: for every contract outside
``contracts/test/``, its ABI and its deployment and runtime bytecode, plus the compiler
version. The wheel ships that file as package data, so an installed ``govchain`` deploys,
signs and decodes without a checkout, a compiler or ape. ``make compile`` runs it after
``ape compile``; ``--check`` exits 1 when the committed bundle differs from the build (a test
runs it after a fresh compile).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from govchain.toolchain.paths import PROJECT_ROOT

BUILD_MANIFEST = PROJECT_ROOT / ".build" / "__local__.json"
BUNDLE_PATH = Path(__file__).resolve().parents[1] / "abi" / "contracts.json"
#: Source folders whose contracts exist only for the tests.
EXCLUDED_SOURCES = ("contracts/test/",)
KEPT_FIELDS = ("abi", "deploymentBytecode", "runtimeBytecode", "sourceId")


def bundle(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The packaged subset of an ape manifest (same shape: ``contractTypes`` and ``compilers``)."""
    types = manifest.get("contractTypes") or {}
    kept = {
        str(name): {key: entry[key] for key in KEPT_FIELDS if key in entry}
        for name, entry in sorted(types.items())
        if not str(entry.get("sourceId", "")).startswith(EXCLUDED_SOURCES)
    }
    compilers = [
        {"name": c.get("name", ""), "version": c.get("version", "")}
        for c in manifest.get("compilers") or []
    ]
    return {"contractTypes": kept, "compilers": compilers}


def render(manifest: Mapping[str, Any]) -> str:
    return json.dumps(bundle(manifest), indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m govchain.toolchain.abi_bundle")
    parser.add_argument("--manifest", type=Path, default=BUILD_MANIFEST)
    parser.add_argument("--out", type=Path, default=BUNDLE_PATH)
    parser.add_argument("--check", action="store_true", help="exit 1 if --out is stale")
    args = parser.parse_args(argv)
    if not args.manifest.is_file():
        print(f"error: {args.manifest} not found (run 'ape compile' first)", file=sys.stderr)
        return 2
    text = render(json.loads(args.manifest.read_text()))
    current = args.out.read_text() if args.out.is_file() else ""
    if args.check:
        if current != text:
            print(
                f"error: {args.out} differs from {args.manifest}; "
                "run 'python -m govchain.toolchain.abi_bundle'",
                file=sys.stderr,
            )
            return 1
        return 0
    if current != text:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
