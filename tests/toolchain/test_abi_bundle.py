"""The ABIs shipped inside the package are the ones a fresh compile produces."""

from __future__ import annotations

import json
from pathlib import Path

from govchain.artifacts import PACKAGED, Artifacts
from govchain.toolchain.abi_bundle import BUILD_MANIFEST, BUNDLE_PATH, bundle, main


def test_the_packaged_bundle_matches_the_fresh_compile() -> None:
    # ape test compiled the project into .build before the session started
    assert BUILD_MANIFEST.is_file()
    assert main(["--check"]) == 0, "run 'python -m govchain.toolchain.abi_bundle' and commit"


def test_the_bundle_holds_every_deployable_contract_and_no_test_contract() -> None:
    packaged = Artifacts.load(PACKAGED)
    assert PACKAGED == BUNDLE_PATH
    built = json.loads(BUILD_MANIFEST.read_text())["contractTypes"]
    for name, entry in built.items():
        if entry["sourceId"].startswith("contracts/test/"):
            assert name not in packaged
        else:
            assert packaged.abi(name) == entry["abi"]
            assert packaged[name].bytecode.hex() == entry["deploymentBytecode"].get(
                "bytecode", "0x"
            ).removeprefix("0x")
    assert packaged.compiler_version.startswith("0.8.")


def test_check_reports_a_stale_bundle(tmp_path: Path) -> None:
    stale = tmp_path / "contracts.json"
    stale.write_text(json.dumps(bundle({"contractTypes": {}})))
    assert main(["--check", "--out", str(stale)]) == 1
    assert main(["--out", str(stale)]) == 0
    assert main(["--check", "--out", str(stale)]) == 0
