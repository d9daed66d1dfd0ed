"""The Paris build: no Shanghai/Cancun opcodes, and overrides tied to the OpenZeppelin they patch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from govchain.toolchain import evm
from govchain.toolchain.paths import PROJECT_ROOT

# opcodes newer than Paris: PUSH0 (Shanghai), TLOAD, TSTORE, MCOPY, BLOBHASH, BLOBBASEFEE
# (Cancun). Checked in every contract's init and runtime code, PUSH data and metadata skipped.
NEWER_THAN_PARIS = {
    0x5F: "PUSH0",
    0x5C: "TLOAD",
    0x5D: "TSTORE",
    0x5E: "MCOPY",
    0x49: "BLOBHASH",
    0x4A: "BLOBBASEFEE",
}


def opcodes(code: bytes) -> list[int]:
    """The instructions of ``code``: PUSH data and the trailing CBOR metadata skipped."""
    if len(code) >= 2:
        meta = int.from_bytes(code[-2:], "big") + 2
        if meta <= len(code):
            code = code[:-meta]
    ops, i = [], 0
    while i < len(code):
        op = code[i]
        ops.append(op)
        i += 1 + (op - 0x5F if 0x60 <= op <= 0x7F else 0)
    return ops


@pytest.fixture(scope="module")
def paris_manifest() -> dict[str, object]:
    return dict(json.loads(evm.compile_level("paris").read_text()))


def test_paris_build_targets_paris_and_has_every_contract(
    paris_manifest: dict[str, object],
) -> None:
    compilers = paris_manifest["compilers"]
    assert isinstance(compilers, list)
    assert {c["settings"]["evmVersion"] for c in compilers} == {"paris"}
    default = json.loads(evm.manifest_path(evm.DEFAULT_LEVEL).read_text())
    assert set(paris_manifest["contractTypes"]) == set(default["contractTypes"])  # type: ignore[arg-type]


def test_paris_bytecode_uses_no_newer_opcode(paris_manifest: dict[str, object]) -> None:
    checked = 0
    for name, ctype in paris_manifest["contractTypes"].items():  # type: ignore[attr-defined]
        for kind in ("deploymentBytecode", "runtimeBytecode"):
            code = bytes.fromhex(str(ctype.get(kind, {}).get("bytecode") or "0x")[2:])
            found = {NEWER_THAN_PARIS[o] for o in opcodes(code) if o in NEWER_THAN_PARIS}
            assert not found, f"{name} {kind} uses {sorted(found)}"
            checked += bool(code)
    assert checked > 20


def test_cancun_build_does_use_push0() -> None:
    """The check above can see what it looks for: the default build has PUSH0."""
    default = json.loads(evm.manifest_path(evm.DEFAULT_LEVEL).read_text())
    code = bytes.fromhex(
        default["contractTypes"]["CaseApprovals"]["runtimeBytecode"]["bytecode"][2:]
    )
    assert 0x5F in opcodes(code)


def test_overrides_refuse_another_openzeppelin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "@openzeppelin" / "contracts" / "utils"
    (fake / "cryptography").mkdir(parents=True)
    (fake / "Bytes.sol").write_text("// a later OpenZeppelin\n")
    (fake / "cryptography" / "SignatureChecker.sol").write_text("// a later OpenZeppelin\n")
    monkeypatch.setattr(evm, "NODE_MODULES", tmp_path)
    with pytest.raises(evm.EvmBuildError, match="redo the override"):
        evm.check_overrides("paris")


def test_unknown_level_is_refused() -> None:
    with pytest.raises(evm.EvmBuildError, match="supported: cancun, paris"):
        evm.check_overrides("london")


def test_overrides_keep_every_upstream_line_but_the_mcopy_calls() -> None:
    for rel, path in evm.check_overrides("paris").items():
        upstream = (evm.NODE_MODULES / evm.OZ_PACKAGE / rel).read_text().splitlines()
        ours = path.read_text().splitlines()
        kept = [
            line for line in ours if "parisMcopy" not in line and not line.startswith("// govchain")
        ]
        removed = [line for line in upstream if "mcopy(" in line]
        assert removed, rel
        # every upstream line except the mcopy calls is still there, in order
        it = iter(kept)
        assert all(any(line == k for k in it) for line in upstream if line not in removed), rel


def test_a_second_build_of_a_level_waits_for_the_one_in_progress_and_reuses_it(
    paris_manifest: dict[str, object],
) -> None:
    """make test builds Paris beside its main pass while this file and the EthereumJS tests ask
    for the same build: one compiles, the others wait for it and compile nothing."""
    manifest = evm.manifest_path("paris")
    built = manifest.stat().st_mtime_ns
    code = "from govchain.toolchain import evm; print(evm.compile_level('paris'))"
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    with evm._build_lock("paris"):  # a build in progress
        waiting = subprocess.Popen(
            [sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        time.sleep(3)
        assert waiting.poll() is None  # it waits for the lock
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert out.strip() == str(manifest)
    assert manifest.stat().st_mtime_ns == built  # found the build done: nothing compiled again
