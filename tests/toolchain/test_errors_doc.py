"""docs/errors.md documents every custom error of every deployable contract, and is current."""

from __future__ import annotations

from typing import Any

import pytest

from govchain.deploy import CONTRACTS
from govchain.errors import ErrorSpec
from govchain.toolchain.errors_doc import (
    DOC_PATH,
    collect,
    deployable_contracts,
    generate,
    load_manifest,
    load_sdk_explanations,
    main,
    render,
)


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return load_manifest()


def test_every_error_of_every_deployable_contract_is_documented(manifest: dict[str, Any]) -> None:
    contracts = deployable_contracts(manifest)
    assert set(CONTRACTS) <= set(contracts)  # everything deploy_all deploys
    assert not {"IndexerEventSource", "TestContractWallet"} & set(contracts)
    docs = collect(manifest, load_sdk_explanations())
    text = DOC_PATH.read_text()
    for name, entry in contracts.items():
        in_abi = {ErrorSpec.from_abi(e).signature for e in entry["abi"] if e["type"] == "error"}
        documented = {d.spec.signature for d in docs if d.contract == name}
        assert documented == in_abi, name
    for d in docs:
        assert d.notice, f"{d.contract}.{d.spec.signature} has no NatSpec"
        assert f"`{d.spec.name}({d.arguments})` | `0x{d.spec.selector.hex()}`" in text, d
    own = [d for d in docs if d.source == "notice"]
    assert len(own) > 100  # the project's own errors carry a @notice, not a fallback


def test_committed_errors_doc_is_up_to_date() -> None:
    assert DOC_PATH.read_text() == generate(), (
        "docs/errors.md is stale: run python -m govchain.toolchain.errors_doc"
    )
    assert main(["--check"]) == 0


def test_registered_plain_messages_are_shown(manifest: dict[str, Any]) -> None:
    table = {"AccessGrantExpired": "grant {grantId} expired at {validUntil}"}
    text = render(collect(manifest, table))
    assert (
        "| `AccessGrantExpired(bytes32 grantId, uint40 validUntil)` | `0x49938469` "
        "| The grant's window has closed. | “grant {grantId} expired at {validUntil}” |"
    ) in text
    assert "SignatureExpired" in text and "## CaseApprovals" in text
