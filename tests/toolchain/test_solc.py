"""The project's compiler: solc-wasm from npm behind the solc command-line protocol."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import solcx
import solcx.wrapper
from solcx.exceptions import SolcError

from govchain.toolchain import solc as provisioning
from govchain.toolchain.paths import NODE_MODULES, SOLCX_DIR


@pytest.fixture(scope="module")
def compiler() -> Path:
    return provisioning.provision(SOLCX_DIR, prefer_native=False)


def _standard_json(sources: dict[str, str], selection: list[str]) -> dict[str, object]:
    return {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in sources.items()},
        "settings": {
            "remappings": [f"@openzeppelin/contracts={NODE_MODULES}/@openzeppelin/contracts"],
            "outputSelection": {"*": {"*": selection, "": ["ast"]}},
        },
    }


def test_version_answers_like_native_solc(compiler: Path) -> None:
    out = subprocess.run([compiler, "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[-1].startswith("Version: 0.8.")
    assert str(solcx.wrapper.get_solc_version(compiler)).startswith("0.8.")


def test_contract_importing_openzeppelin_compiles(compiler: Path) -> None:
    source = (
        "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.24;\n"
        'import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";\n'
        "contract UsesOz { function who(bytes32 h, bytes calldata s) external pure returns"
        " (address) { return ECDSA.recover(h, s); } }\n"
    )
    out = solcx.compile_standard(
        _standard_json({"UsesOz.sol": source}, ["abi", "evm.bytecode.object"]),
        solc_binary=compiler,
        allow_paths=[str(NODE_MODULES)],
    )
    contract = out["contracts"]["UsesOz.sol"]["UsesOz"]
    assert contract["evm"]["bytecode"]["object"]
    assert [i["name"] for i in contract["abi"] if i["type"] == "function"] == ["who"]


def test_syntax_error_in_standard_json_raises_the_compilers_message(compiler: Path) -> None:
    broken = "pragma solidity ^0.8.24;\ncontract Broken { function f( external {} }\n"
    with pytest.raises(SolcError) as raised:
        solcx.compile_standard(
            _standard_json({"Broken.sol": broken}, ["abi"]), solc_binary=compiler
        )
    assert "ParserError" in str(raised.value)
    assert "Broken.sol:2" in str(raised.value)


def test_syntax_error_in_file_mode_exits_non_zero_with_the_message(
    compiler: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "Broken.sol"
    broken.write_text("pragma solidity ^0.8.24;\ncontract Broken { uint x = ; }\n")
    result = subprocess.run([compiler, str(broken)], capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "ParserError" in result.stderr
    assert result.stdout == ""


def test_file_mode_compiles_a_valid_file(compiler: Path, tmp_path: Path) -> None:
    ok = tmp_path / "Ok.sol"
    ok.write_text("pragma solidity ^0.8.24;\ncontract Ok { uint public x = 1; }\n")
    result = subprocess.run([compiler, str(ok)], capture_output=True, text=True, check=True)
    contracts = json.loads(result.stdout)["contracts"]
    assert any(key.endswith(":Ok") and value["bin"] for key, value in contracts.items())


def test_unresolvable_import_is_reported_by_the_compiler(compiler: Path) -> None:
    source = 'pragma solidity ^0.8.24;\nimport "nowhere/Missing.sol";\ncontract A {}\n'
    with pytest.raises(SolcError) as raised:
        solcx.compile_standard(_standard_json({"A.sol": source}, ["abi"]), solc_binary=compiler)
    assert "nowhere/Missing.sol" in str(raised.value)


def test_unknown_option_is_a_usage_error(compiler: Path) -> None:
    result = subprocess.run([compiler, "--frobnicate"], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "unsupported option --frobnicate" in result.stderr


def test_output_over_64_kib_arrives_whole_through_a_pipe(compiler: Path) -> None:
    # The whole ERC20 + AccessControl tree with ASTs and all bytecode fields is megabytes.
    source = (
        "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.24;\n"
        'import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";\n'
        'import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";\n'
        'contract Big is ERC20("b", "B"), AccessControl {}\n'
    )
    payload = json.dumps(
        _standard_json({"Big.sol": source}, ["abi", "evm.bytecode", "evm.deployedBytecode"])
    )
    result = subprocess.run(
        [compiler, "--standard-json", "--allow-paths", str(NODE_MODULES)],
        input=payload, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert len(result.stdout) > 64 * 1024
    output = json.loads(result.stdout)  # a truncated document would not parse
    assert output["contracts"]["Big.sol"]["Big"]["evm"]["deployedBytecode"]["object"]


def test_provision_is_idempotent(tmp_path: Path) -> None:
    first = provisioning.provision(tmp_path, prefer_native=False)
    mtime = first.stat().st_mtime_ns
    second = provisioning.provision(tmp_path, prefer_native=False)
    assert first == second
    assert second.stat().st_mtime_ns == mtime
    assert os.access(second, os.X_OK)


def test_a_native_solc_on_path_is_preferred(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    native = bin_dir / "solc"
    native.write_text("#!/bin/sh\necho 'Version: 0.8.30+commit.73712a01.Linux.g++'\n")
    native.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    target = provisioning.provision(tmp_path / "solcx")
    assert target.name == "solc-v0.8.30"
    assert target.resolve() == native.resolve()


def test_ape_compile_uses_the_provisioned_compiler() -> None:
    # `make test` compiled the project before running the tests, through the same folder.
    assert os.environ.get("SOLCX_BINARY_PATH") == str(SOLCX_DIR)
    manifest = json.loads((Path.cwd() / ".build" / "__local__.json").read_text())
    assert manifest["compilers"][0]["version"].startswith("0.8.")


def test_the_wrapper_runs_the_shim_of_the_checkout_holding_its_folder(tmp_path: Path) -> None:
    # a worktree's .solcx may be a link to the main checkout's: whichever checkout provisions
    # through it writes the same wrapper, which runs the linked checkout's shim
    checkout = tmp_path / "checkout"
    shim = checkout / "govchain" / "toolchain" / "solcjs_shim.js"
    shim.parent.mkdir(parents=True)
    shim.write_text("console.log('Version: 0.8.99+commit.00000000.this-checkout');\n")
    (checkout / "node_modules").symlink_to(NODE_MODULES)
    (checkout / ".solcx").mkdir()
    (tmp_path / "worktree").mkdir()
    (tmp_path / "worktree" / ".solcx").symlink_to(checkout / ".solcx")
    wrapper = provisioning.provision(tmp_path / "worktree" / ".solcx", prefer_native=False)
    assert provisioning.native_solc_version(str(wrapper)) == "0.8.99"
    outside = provisioning.provision(tmp_path / "elsewhere", prefer_native=False)
    assert str(provisioning.native_solc_version(str(outside))).startswith("0.8.")
