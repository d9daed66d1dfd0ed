"""Build and test the contracts for another EVM level (``paris``) beside the default (``cancun``).

The default build (``ape compile`` in the checkout, ``.build/__local__.json``) targets Cancun.
Many consortium chains run an older EVM (EthereumJS under Clique, older Besu/Quorum/FISCO
BCOS configurations), so the contracts also compile for Paris: no PUSH0 (Shanghai), no MCOPY
or transient storage (Cancun).

OpenZeppelin 5.7 stands in the way: ``utils/Bytes.sol`` uses ``mcopy``, and it is imported by
``utils/Strings.sol`` (through ``MessageHashUtils``, so by every ``EIP712`` contract), while
``utils/cryptography/SignatureChecker.sol`` uses ``mcopy`` itself. There is no Paris-safe
import path around them. The Paris build therefore uses a copy of OpenZeppelin in which those
two files are replaced by ``compat/paris/`` — the same files with each ``mcopy(dst, src, n)``
turned into a copy through the identity precompile (address 0x04), which is how memory was
copied before Cancun. Nothing else differs; :func:`check_overrides` refuses to build when the
upstream files no longer match the ones the overrides were made from (an OpenZeppelin upgrade
must redo them).

The Paris build is a separate ape project under ``.evm/paris/`` (a copy of ``contracts/`` and
``ape-config.yaml`` with ``evm_version: paris``, and the patched OpenZeppelin in its own
``node_modules``), so it never disturbs the default build. Its manifest is what the SDK loads
(``GOVCHAIN_ARTIFACTS``) to deploy on a Paris-level chain.

    python -m govchain.toolchain.evm compile [--force] paris   # only if its inputs changed
    python -m govchain.toolchain.evm test paris tests/identity ...
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from govchain.toolchain.paths import NODE_MODULES, PROJECT_ROOT, configure_environment

DEFAULT_LEVEL = "cancun"
LEVELS = ("cancun", "paris")
OZ_PACKAGE = Path("@openzeppelin") / "contracts"
OZ_VERSION = "5.7.0"
COMPAT = PROJECT_ROOT / "compat"
BUILD_ROOT = PROJECT_ROOT / ".evm"

# sha256 of the upstream OpenZeppelin 5.7.0 files each override replaces.
UPSTREAM_SHA256 = {
    "paris": {
        "utils/Bytes.sol": "78b01e1da6f6e6aaa8ef97b5d5ed885f638520bfdafb65e813b900a14c9d4eac",
        "utils/cryptography/SignatureChecker.sol": (
            "47d1946002462b91cf656aada822d1ea862f82af27358a83b10d835c086dc4b9"
        ),
    },
}


class EvmBuildError(RuntimeError):
    """The contracts cannot be built for the requested EVM level."""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _oz_source() -> Path:
    return NODE_MODULES / OZ_PACKAGE


def check_overrides(level: str) -> dict[str, Path]:
    """The override files of ``level`` by path inside OpenZeppelin, checked against upstream."""
    if level not in LEVELS:
        raise EvmBuildError(f"unknown EVM level {level!r}; supported: {', '.join(LEVELS)}")
    expected = UPSTREAM_SHA256.get(level, {})
    found: dict[str, Path] = {}
    oz = _oz_source()
    for rel, digest in expected.items():
        upstream = oz / rel
        if not upstream.is_file():
            raise EvmBuildError(f"{upstream} is missing: run `make setup`")
        if _sha256(upstream) != digest:
            raise EvmBuildError(
                f"{upstream} is not the OpenZeppelin {OZ_VERSION} file that compat/{level}/{rel} "
                "was made from; redo the override for the new version"
            )
        found[rel] = COMPAT / level / rel
    return found


def project_dir(level: str) -> Path:
    return BUILD_ROOT / level


def manifest_path(level: str) -> Path:
    """The compiled manifest for ``level`` (the checkout's own for the default level)."""
    if level == DEFAULT_LEVEL:
        return PROJECT_ROOT / ".build" / "__local__.json"
    return project_dir(level) / ".build" / "__local__.json"


def _config_for(level: str) -> str:
    text = (PROJECT_ROOT / "ape-config.yaml").read_text(encoding="utf-8")
    new, count = re.subn(r"(?m)^(\s*evm_version:\s*)\S+", rf"\g<1>{level}", text)
    if count != 1:
        raise EvmBuildError("ape-config.yaml must set solidity.evm_version exactly once")
    return new


def prepare(level: str) -> Path:
    """Lay out the ape project that builds the contracts for ``level``; return its folder."""
    overrides = check_overrides(level)
    root = project_dir(level)
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    (root / "ape-config.yaml").write_text(_config_for(level), encoding="utf-8")
    shutil.copytree(
        PROJECT_ROOT / "contracts", root / "contracts", ignore=shutil.ignore_patterns(".cache")
    )
    oz = root / "node_modules" / OZ_PACKAGE
    shutil.copytree(_oz_source(), oz)
    for rel, source in overrides.items():
        shutil.copyfile(source, oz / rel)
    return root


def _inputs_newer_than(stamp: Path) -> bool:
    if not stamp.is_file():
        return True
    built = stamp.stat().st_mtime
    inputs = [PROJECT_ROOT / "ape-config.yaml", *(PROJECT_ROOT / "contracts").rglob("*.sol")]
    if COMPAT.is_dir():
        inputs += list(COMPAT.rglob("*.sol"))
    return any(p.stat().st_mtime > built for p in inputs if ".cache" not in p.parts)


def _ape() -> str:
    return os.path.join(os.path.dirname(sys.executable), "ape")


@contextmanager
def _build_lock(level: str) -> Iterator[None]:
    """One build of ``level`` at a time on this checkout. ``make test`` builds Paris beside its
    main pass while the main pass's EthereumJS and EVM-level tests ask for the same build: each
    saw no manifest, and each laid out ``.evm/paris`` afresh (removing the folder another was
    compiling in) and compiled it again, ~40 s of CPU each. The later ones now wait and find the
    build done (issue 20)."""
    BUILD_ROOT.mkdir(parents=True, exist_ok=True)
    with (BUILD_ROOT / f".{level}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def compile_level(level: str, force: bool = False) -> Path:
    """Compile the contracts for ``level`` (if inputs changed, or ``force``); return the manifest."""
    with _build_lock(level):
        return _compile_level(level, force)


def _compile_level(level: str, force: bool) -> Path:
    manifest = manifest_path(level)
    if level == DEFAULT_LEVEL:
        if force or _inputs_newer_than(manifest):
            subprocess.run(
                [_ape(), "compile", "--force"],
                cwd=PROJECT_ROOT,
                env=configure_environment(dict(os.environ)),
                check=True,
            )
        return manifest
    if not force and not _inputs_newer_than(manifest):
        return manifest
    root = prepare(level)
    subprocess.run(
        [_ape(), "compile", "--force"],
        cwd=root,
        env=configure_environment(dict(os.environ)),
        check=True,
    )
    if not manifest.is_file():
        raise EvmBuildError(f"ape compile for {level} wrote no manifest at {manifest}")
    return manifest


def run_tests(level: str, pytest_args: list[str]) -> int:
    """Run ``ape test`` on the contracts built for ``level`` (test paths are the checkout's)."""
    compile_level(level)
    cwd = PROJECT_ROOT if level == DEFAULT_LEVEL else project_dir(level)
    args = [
        str((PROJECT_ROOT / a).resolve()) if (PROJECT_ROOT / a).exists() else a for a in pytest_args
    ]
    env = configure_environment(dict(os.environ))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH")) if p)
    env["GOVCHAIN_EVM_VERSION"] = level
    return subprocess.run(
        [sys.executable, "-m", "govchain.toolchain.testrun", "--rootdir", str(PROJECT_ROOT), *args],
        cwd=cwd,
        env=env,
        check=False,
    ).returncode


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    usage = "usage: python -m govchain.toolchain.evm {compile [--force]|test} LEVEL [pytest args]"
    if len(args) < 2 or args[0] not in ("compile", "test"):
        print(usage, file=sys.stderr)
        return 2
    command, rest = args[0], args[1:]
    force = command == "compile" and "--force" in rest
    rest = [a for a in rest if not (command == "compile" and a == "--force")]
    if not rest:
        print(usage, file=sys.stderr)
        return 2
    level, rest = rest[0], rest[1:]
    try:
        if command == "compile":
            print(compile_level(level, force=force))
            return 0
        return run_tests(level, rest)
    except (EvmBuildError, subprocess.CalledProcessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
