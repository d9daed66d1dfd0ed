"""Write docs/errors.md from the compiled contracts: every custom error, why, and what the SDK says.

``python -m govchain.toolchain.errors_doc`` reads ape's manifest (``.build/__local__.json``,
written by ``ape compile``): for each deployable contract (one with deployment bytecode, test
contracts excepted) it lists every ``error`` of its ABI with its arguments, its 4-byte selector,
its NatSpec ``@notice`` (from ``userdoc``; failing that the ``@dev`` text of ``devdoc``, which
is all OpenZeppelin gives its own errors), and the plain message :mod:`govchain.errors` shows
for it when an SDK module registered one. ``--check`` exits 1 if the file on disk differs
(tests/toolchain/test_errors_doc.py does the same).
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govchain.artifacts import default_path
from govchain.errors import EXPLANATIONS, ErrorSpec
from govchain.toolchain.paths import PROJECT_ROOT

DOC_PATH = PROJECT_ROOT / "docs" / "errors.md"

#: Packages whose modules register plain messages with :func:`govchain.errors.explain`.
SDK_PACKAGES = (
    "govchain.identity",
    "govchain.sharing",
    "govchain.approval",
    "govchain.node",
    "govchain.services",
)

#: Third-party errors whose libraries give them no NatSpec at all.
THIRD_PARTY = {
    "InvalidShortString": "OpenZeppelin ShortStrings: an EIP-712 name or version is not a "
    "valid short string. Raised only while deploying; a deployed contract never raises it.",
    "StringTooLong": "OpenZeppelin ShortStrings: an EIP-712 name or version is longer than 31 "
    "bytes. Raised only while deploying; a deployed contract never raises it.",
}


@dataclass(frozen=True)
class ErrorDoc:
    """One custom error of one contract, as documented."""

    contract: str
    spec: ErrorSpec
    notice: str
    source: str  # "notice", "dev" or "third-party"
    plain: str | None  # the SDK's template, if registered

    @property
    def arguments(self) -> str:
        return ", ".join(
            f"{t} {n}" for t, n in zip(self.spec.types, self.spec.arg_names, strict=True)
        )


def _is_test_contract(entry: Mapping[str, Any]) -> bool:
    source = str(entry.get("sourceId") or "")
    return source.startswith("contracts/test/") or source.startswith("test/")


def _has_bytecode(entry: Mapping[str, Any]) -> bool:
    code = entry.get("deploymentBytecode")
    raw = code.get("bytecode") if isinstance(code, Mapping) else code
    return isinstance(raw, str) and len(raw) > 2


def deployable_contracts(manifest: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Contract types with deployment bytecode, test contracts excepted, by name."""
    types = manifest.get("contractTypes") or {}
    return {
        str(name): entry
        for name, entry in sorted(types.items())
        if _has_bytecode(entry) and not _is_test_contract(entry)
    }


def load_sdk_explanations() -> dict[str, str]:
    """Import the SDK modules (they register their plain messages) and return the table."""
    for package_name in SDK_PACKAGES:
        try:
            package = importlib.import_module(package_name)
        except ImportError:
            continue
        for module in pkgutil.walk_packages(package.__path__, package_name + "."):
            if ".migrations" in module.name:  # Alembic scripts run only inside Alembic
                continue
            try:
                importlib.import_module(module.name)
            except ImportError:
                continue
    return dict(EXPLANATIONS)


def _text(entries: Any, key: str) -> str:
    """NatSpec text of a userdoc/devdoc error entry (a list of one dict per declaration)."""
    items = entries if isinstance(entries, list) else [entries]
    for item in items:
        if isinstance(item, Mapping) and item.get(key):
            return " ".join(str(item[key]).split())
    return ""


def collect(
    manifest: Mapping[str, Any], explanations: Mapping[str, str] | None = None
) -> list[ErrorDoc]:
    """Every error of every deployable contract, with its documentation."""
    table = dict(EXPLANATIONS) if explanations is None else dict(explanations)
    out: list[ErrorDoc] = []
    for name, entry in deployable_contracts(manifest).items():
        userdoc = (entry.get("userdoc") or {}).get("errors") or {}
        devdoc = (entry.get("devdoc") or {}).get("errors") or {}
        specs = [ErrorSpec.from_abi(e) for e in entry.get("abi", []) if e.get("type") == "error"]
        for spec in sorted(specs, key=lambda s: s.name):
            notice, source = _text(userdoc.get(spec.signature), "notice"), "notice"
            if not notice:
                notice, source = _text(devdoc.get(spec.signature), "details"), "dev"
            if not notice:
                notice, source = THIRD_PARTY.get(spec.name, ""), "third-party"
            out.append(ErrorDoc(name, spec, notice, source, table.get(spec.name)))
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(docs: list[ErrorDoc]) -> str:
    """docs/errors.md."""
    lines = [
        "# Contract errors",
        "",
        "<!-- generated by `python -m govchain.toolchain.errors_doc` from the compiled ABIs and",
        "     their NatSpec; edit the contracts' `@notice` lines or the SDK's messages, not this"
        " file -->",
        "",
        "Every custom error a deployed govchain contract can revert with. *Meaning* is the",
        "error's `@notice` in the contract's interface (for OpenZeppelin's own errors, its `@dev`",
        "text). *What the SDK says* is the plain message `govchain.errors` gives when the error",
        "has a registered template (`{arg}` fields are filled from the error's arguments); an",
        "error without one is shown as `Name(arg=value, ...)`. The CLI prints either on one line",
        "and exits with code 1.",
        "",
    ]
    contracts = sorted({d.contract for d in docs})
    lines += ["Contracts: " + ", ".join(f"[{c}](#{c.lower()})" for c in contracts), ""]
    for contract in contracts:
        mine = [d for d in docs if d.contract == contract]
        lines += [f"## {contract}", ""]
        lines += ["| Error | Selector | Meaning | What the SDK says |", "|---|---|---|---|"]
        for d in mine:
            error = f"`{d.spec.name}({d.arguments})`"
            meaning = d.notice + (" *(OpenZeppelin)*" if d.source != "notice" else "")
            plain = f"“{d.plain}”" if d.plain else "—"
            lines.append(
                f"| {_cell(error)} | `0x{d.spec.selector.hex()}` | {_cell(meaning)} | {_cell(plain)} |"
            )
        lines.append("")
    return "\n".join(lines)


def load_manifest(path: Path | None = None) -> dict[str, Any]:
    target = path or default_path()
    data: dict[str, Any] = json.loads(target.read_text())
    return data


def generate(manifest_path: Path | None = None) -> str:
    """The text docs/errors.md should have for the current build and SDK."""
    return render(collect(load_manifest(manifest_path), load_sdk_explanations()))


def _undocumented(docs: list[ErrorDoc]) -> Iterator[str]:
    for d in docs:
        if not d.notice:
            yield f"{d.contract}.{d.spec.signature}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--manifest", type=Path, help="ape manifest (default: .build/__local__.json)"
    )
    parser.add_argument("--output", type=Path, default=DOC_PATH)
    parser.add_argument("--check", action="store_true", help="fail if the file is out of date")
    args = parser.parse_args(argv)
    manifest = load_manifest(args.manifest)
    docs = collect(manifest, load_sdk_explanations())
    missing = list(_undocumented(docs))
    if missing:
        print("errors without NatSpec: " + ", ".join(missing), file=sys.stderr)
        return 1
    text = render(docs)
    if args.check:
        current = args.output.read_text() if args.output.is_file() else ""
        if current != text:
            print(f"{args.output} is out of date: run python -m govchain.toolchain.errors_doc")
            return 1
        return 0
    args.output.write_text(text)
    print(f"wrote {args.output}: {len(docs)} errors of {len({d.contract for d in docs})} contracts")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
