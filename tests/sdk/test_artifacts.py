"""Artifacts: ABIs and bytecode straight from ape's compiled manifest, no ape at run time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govchain.artifacts import Artifacts, ArtifactsError, default_path, load_artifacts
from govchain.errors import NotFound

MINIMAL = {
    "contractTypes": {
        "Thing": {
            "abi": [{"type": "error", "name": "ThingMissing", "inputs": []}],
            "deploymentBytecode": {"bytecode": "0x6001"},
            "runtimeBytecode": {"bytecode": "0x01"},
        },
        "IThing": {"abi": [], "deploymentBytecode": {"bytecode": "0x"}},
    },
    "compilers": [{"name": "solidity", "version": "0.8.37+commit.f401782d"}],
}


def test_the_compiled_manifest_loads(artifacts: Artifacts) -> None:
    assert "SignatureVerifier" in artifacts.names()
    assert "SignatureExpired" in artifacts["SignatureVerifier"].errors()
    assert artifacts.compiler_version.startswith("0.8.")


def test_abstract_contracts_have_no_deployment_bytecode(artifacts: Artifacts) -> None:
    with pytest.raises(NotFound, match="deployment bytecode of SignatureVerifier"):
        artifacts.bytecode("SignatureVerifier")


def test_an_unknown_contract_is_not_found(artifacts: Artifacts) -> None:
    with pytest.raises(NotFound, match="contract type Nope not found"):
        artifacts["Nope"]


def test_the_path_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(MINIMAL))
    monkeypatch.setenv("GOVCHAIN_ARTIFACTS", str(path))
    assert default_path() == path
    loaded = load_artifacts()
    assert loaded.names() == ["IThing", "Thing"]
    assert loaded.bytecode("Thing") == bytes.fromhex("6001")
    assert loaded["Thing"].runtime_bytecode == b"\x01"
    assert not loaded["IThing"].deployable
    assert loaded.compiler_version == "0.8.37+commit.f401782d"
    assert "ThingMissing()" in loaded.error_decoder().known()


def test_a_missing_manifest_says_to_compile(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="run 'ape compile' first"):
        Artifacts.load(tmp_path / "none.json")


def test_a_broken_manifest_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(ArtifactsError, match=r"broken\.json"):
        Artifacts.load(path)
    path.write_text("{}")
    with pytest.raises(ArtifactsError, match="no contractTypes"):
        Artifacts.load(path)


def test_outside_a_checkout_the_packaged_contracts_are_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import govchain.artifacts as module

    monkeypatch.delenv("GOVCHAIN_ARTIFACTS", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(module, "PROJECT_ROOT", tmp_path / "no-checkout")
    assert default_path() == module.PACKAGED
    packaged = load_artifacts()
    assert packaged.bytecode("AccessGrants")
    assert "IndexerEventSource" not in packaged
