"""Settings a consortium chain needs: proof-of-authority headers, a fixed tip, confirmations.

On anvil (no proof-of-authority headers) the middleware stays out unless configured; the
EthereumJS run (tests/consortium/test_ethereumjs.py) shows it detected on a Clique chain.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.exceptions import Web3RPCError

from govchain.errors import InvalidInput
from govchain.network import (
    POA_MIDDLEWARE,
    confirmations,
    connect,
    fee_fields,
    has_poa_headers,
    log_matches,
    make_web3,
)
from govchain.toolchain.devnet import Devnet
from govchain.tx import Sender
from tests.httpstub import StubHandler, serving


def test_anvil_headers_are_not_proof_of_authority(
    devnet: Devnet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GOVCHAIN_POA", raising=False)
    w3 = connect(devnet.url)
    assert has_poa_headers(w3) is False
    assert POA_MIDDLEWARE not in w3.middleware_onion


def test_poa_middleware_can_be_forced_and_reads_blocks(
    devnet: Devnet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVCHAIN_POA", "1")
    w3 = connect(devnet.url)
    assert POA_MIDDLEWARE in w3.middleware_onion
    assert "proofOfAuthorityData" in w3.eth.get_block("latest")
    monkeypatch.setenv("GOVCHAIN_POA", "sometimes")
    with pytest.raises(InvalidInput, match="GOVCHAIN_POA"):
        connect(devnet.url)


def test_a_fixed_priority_fee_is_used(w3: Web3, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVCHAIN_PRIORITY_FEE", "0")
    fees = fee_fields(w3)
    assert fees["maxPriorityFeePerGas"] == 0
    assert int(fees["maxFeePerGas"]) >= int(w3.eth.get_block("latest")["baseFeePerGas"])
    monkeypatch.setenv("GOVCHAIN_PRIORITY_FEE", "a little")
    with pytest.raises(InvalidInput, match="GOVCHAIN_PRIORITY_FEE"):
        fee_fields(w3)


def test_confirmations_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOVCHAIN_CONFIRMATIONS", raising=False)
    assert confirmations() == 1
    monkeypatch.setenv("GOVCHAIN_CONFIRMATIONS", "3")
    assert confirmations() == 3
    for bad in ("0", "-1", "many"):
        monkeypatch.setenv("GOVCHAIN_CONFIRMATIONS", bad)
        with pytest.raises(InvalidInput, match="GOVCHAIN_CONFIRMATIONS"):
            confirmations()


def test_a_send_returns_only_once_buried_under_the_confirmations(
    w3: Web3, account: LocalAccount, devnet: Devnet
) -> None:
    """anvil mines only on demand, so a thread seals a block every 0.3 s (as a chain would)."""
    stop = threading.Event()

    def seal() -> None:
        miner = Web3(Web3.HTTPProvider(devnet.url))
        while not stop.wait(0.3):
            miner.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    thread = threading.Thread(target=seal, daemon=True)
    thread.start()
    try:
        sender = Sender(w3, account, confirmations=3, timeout=30)
        started = time.monotonic()
        receipt = sender.send({"to": account.address, "value": 1})
        assert int(w3.eth.block_number) >= int(receipt["blockNumber"]) + 2
        assert time.monotonic() - started >= 0.5  # two more blocks were waited for
    finally:
        stop.set()
        thread.join()


def test_logs_are_matched_against_the_topic_filter_on_the_client() -> None:
    """A node that ignores later topic positions (EthereumJS 0.10.5) cannot widen a query."""
    a, b, hrss, dpf = ("0x" + c * 64 for c in "ab12")
    log = {"topics": [a, "0x" + "00" * 32, "0x" + "00" * 32, hrss]}
    assert log_matches(log, [a, None, None, hrss])
    assert log_matches(log, [[b, a], None, None, [dpf, hrss.upper().replace("0X", "0x")]])
    assert log_matches(log, [])
    assert not log_matches(log, [a, None, None, dpf])
    assert not log_matches(log, [b])
    assert not log_matches(log, [a, None, None, hrss, a])  # a fifth topic it does not have
    assert log_matches({"topics": [bytes.fromhex(a[2:])]}, [a])


def test_every_web3_log_query_drops_what_its_filter_did_not_ask_for() -> None:
    """A node that answers eth_getLogs with logs outside the filter (EthereumJS 0.10.5 ignores
    topic positions after the first) cannot hand the SDK another citizen's attestation: the
    provider keeps only logs matching the query's topics and address."""
    event, alice, bob = ("0x" + c * 64 for c in "e12")
    contract, other = "0x" + "aa" * 20, "0x" + "bb" * 20

    def log(address: str, subject: str) -> dict[str, object]:
        return {
            "address": address, "topics": [event, subject], "data": "0x",
            "blockNumber": "0x1", "blockHash": "0x" + "00" * 32, "logIndex": "0x0",
            "transactionHash": "0x" + "00" * 32, "transactionIndex": "0x0", "removed": False,
        }  # fmt: skip

    served = [log(contract, alice), log(contract, bob), log(other, alice)]

    class WideNode(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            body = json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": served}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            del format, args

    server = ThreadingHTTPServer(("127.0.0.1", 0), WideNode)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        w3 = make_web3(f"http://127.0.0.1:{server.server_address[1]}")
        query = {"address": Web3.to_checksum_address(contract), "topics": [event, alice]}
        got = w3.eth.get_logs(query)  # type: ignore[arg-type]
        assert [(x["address"].lower(), x["topics"][1].to_0x_hex()) for x in got] == [
            (contract, alice)
        ]
        assert len(w3.eth.get_logs({"topics": [event]})) == 3  # nothing dropped unasked
    finally:
        server.shutdown()
        server.server_close()


def test_the_chain_id_is_asked_once_per_connection() -> None:
    """web3's validation asks for the chain id before every call; the endpoint's first answer
    is kept, and an error answer is not."""
    asked: list[str] = []

    class Node(StubHandler):
        def answer(self, path: str, body: bytes) -> tuple[int, bytes]:
            request = json.loads(body)
            asked.append(request["method"])
            if request["method"] == "eth_chainId" and asked.count("eth_chainId") == 1:
                reply: dict[str, object] = {"error": {"code": -32000, "message": "starting"}}
            else:
                reply = {"result": "0x539" if request["method"] == "eth_chainId" else "0x"}
            return 200, json.dumps({"jsonrpc": "2.0", "id": request["id"], **reply}).encode()

    with serving(Node) as url:
        w3 = make_web3(url)
        with pytest.raises(Web3RPCError, match="starting"):
            w3.eth.chain_id  # noqa: B018 (the error answer is not kept)
        assert [w3.eth.chain_id for _ in range(3)] == [1337, 1337, 1337]
        to = Web3.to_checksum_address("0x" + "11" * 20)
        for _ in range(3):
            w3.eth.call({"to": to, "data": "0x"})
    assert asked.count("eth_chainId") == 2
    assert asked.count("eth_call") == 3
