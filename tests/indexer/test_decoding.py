"""Decoding and column extraction without a chain: the argument-name tables, overrides, types,
indexed dynamic values, and the recognition of eth_getLogs size refusals by client."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi.abi import encode
from eth_utils.crypto import keccak

from govchain.indexer import ColumnPlan, EventSpec, RpcLogSource, TooManyResults
from govchain.indexer.errors import RpcError
from tests.helpers import code

ALICE = "0x" + "ab" * 20


def topic(value: bytes) -> str:
    return "0x" + value.rjust(32, b"\0").hex()


def event(name: str, *inputs: tuple[str, str, bool]) -> EventSpec:
    return EventSpec.from_abi(
        {
            "type": "event",
            "name": name,
            "inputs": [{"name": n, "type": t, "indexed": i} for n, t, i in inputs],
        }
    )


def test_catalog_code_is_a_category_and_schema_uid_no_attestation() -> None:
    plan = ColumnPlan()
    registered = event("CategoryRegistered", ("code", "bytes32", True), ("owner", "bytes32", True))
    _, leaves = registered.decode(
        [registered.topic0, "0x" + code("pension").hex(), "0x" + code("HRSS").hex()], "0x"
    )
    out = plan.extract("CategoryRegistered", leaves)
    assert out.columns["category"] == "0x" + code("pension").hex()
    assert out.columns["department"] == "0x" + code("HRSS").hex()
    schema = event("SchemaRegistered", ("uid", "bytes32", True), ("department", "bytes32", True))
    _, leaves = schema.decode([schema.topic0, "0x" + "11" * 32, "0x" + code("PSB").hex()], "0x")
    assert plan.extract("SchemaRegistered", leaves).columns["attestation_uid"] is None


def test_a_column_takes_only_its_abi_type() -> None:
    # CaseOpened's `applicant` is a bytes32 key, not an address: not a subject
    opened = event("CaseOpened", ("caseId", "bytes32", True), ("applicant", "bytes32", True))
    _, leaves = opened.decode(
        [opened.topic0, "0x" + "01" * 32, topic(bytes.fromhex("ab" * 20))], "0x"
    )
    columns = ColumnPlan().extract("CaseOpened", leaves).columns
    assert columns["subject"] is None and columns["case_id"] == "0x" + "01" * 32


def test_the_tables_are_extensible() -> None:
    plan = ColumnPlan(
        column_args={"subject": ("holder",), "department": ("issuer",)},
        overrides={"Special.holder": None},
    )
    spec = event("Issued", ("holder", "address", True), ("issuer", "bytes32", False))
    args, leaves = spec.decode(
        [spec.topic0, topic(bytes.fromhex("ab" * 20))],
        "0x" + encode(["bytes32"], [code("DPF")]).hex(),
    )
    assert plan.extract("Issued", leaves).columns["subject"] == args["holder"]
    assert plan.extract("Issued", leaves).departments == [("issuer", "0x" + code("DPF").hex())]
    assert plan.extract("Special", leaves).columns["subject"] is None


def test_indexed_dynamic_values_are_kept_as_their_hash_and_signed_ints_decoded() -> None:
    spec = event(
        "Noted", ("topic", "string", True), ("delta", "int256", True), ("text", "string", False)
    )
    hashed = "0x" + "5a" * 32
    args, _ = spec.decode(
        [spec.topic0, hashed, "0x" + "ff" * 32], "0x" + encode(["string"], ["hello"]).hex()
    )
    assert args == {"topic": hashed, "delta": -1, "text": "hello"}
    assert spec.signature == "Noted(string,int256,string)"


def test_a_log_with_the_wrong_topic_count_is_rejected() -> None:
    spec = event("One", ("a", "address", True))
    with pytest.raises(ValueError, match="indexed topics"):
        spec.decode([spec.topic0], "0x")


class Canned(RpcLogSource):
    def __init__(self, response: dict[str, Any]) -> None:
        super().__init__("http://127.0.0.1:9")
        self.response = response

    def _raw(self, method: str, params: Any) -> Any:
        return self.response


@pytest.mark.parametrize(
    "error",
    [
        {"code": -32000, "message": "query returned more than 10000 results"},  # geth
        {"code": -32005, "message": "query limit exceeded"},  # Infura
        {
            "code": -32602,
            "message": "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range",
        },  # Alchemy
        {"code": -32000, "message": "exceed maximum block range: 5000"},
        {"code": -32000, "message": "Requested range exceeds maximum RPC range limit"},  # Besu
    ],
)
def test_size_refusals_of_common_clients_are_recognised(error: dict[str, Any]) -> None:
    with pytest.raises(TooManyResults):
        Canned({"jsonrpc": "2.0", "id": 1, "error": error}).get_logs(0, 10, [ALICE])


def test_other_node_errors_are_not_taken_for_size_refusals() -> None:
    with pytest.raises(RpcError) as caught:
        Canned(
            {"jsonrpc": "2.0", "id": 1, "error": {"code": -32602, "message": "invalid argument 0"}}
        ).get_logs(0, 1, [ALICE])
    assert not isinstance(caught.value, TooManyResults)


def test_erc1056_citizen_events_decode_with_their_topic_and_subject() -> None:
    """The registry's ERC-1056 events keep ERC-1056's topic hashes (a stock did:ethr resolver
    reads them) and index under the identity as subject."""
    changed = event(
        "DIDDelegateChanged",
        ("identity", "address", True),
        ("delegateType", "bytes32", False),
        ("delegate", "address", False),
        ("validTo", "uint256", False),
        ("previousChange", "uint256", False),
    )
    assert (
        changed.topic0
        == "0x" + keccak(text="DIDDelegateChanged(address,bytes32,address,uint256,uint256)").hex()
    )
    data = encode(
        ["bytes32", "address", "uint256", "uint256"], [code("agent"), ALICE, 1_900_000_000, 7]
    )
    _, leaves = changed.decode([changed.topic0, topic(bytes.fromhex("ab" * 20))], "0x" + data.hex())
    columns = ColumnPlan().extract("DIDDelegateChanged", leaves).columns
    assert columns["subject"] is not None and columns["subject"].lower() == ALICE
