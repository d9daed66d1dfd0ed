"""The test plugin's loopback transport (govchain.toolchain.rpctransport): web3's
JSON-RPC posts to a loopback endpoint skip ``requests`` but send, answer and fail as the stock
path does, against the worker's anvil and local stub servers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

import ape
import pytest
import requests
from web3 import Web3
from web3._utils.http_session_manager import HTTPSessionManager

from govchain.toolchain import apecalls, rpctransport
from govchain.toolchain.devnet import free_port
from tests.httpstub import StubHandler, serving

# the path every post took before the plugin (requests' Session), kept by functools.wraps
STOCK = HTTPSessionManager.make_post_request.__wrapped__  # type: ignore[attr-defined]
HEADERS = {"Content-Type": "application/json", "User-Agent": "govchain-test"}


def rpc(method: str, *params: Any) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": 7, "method": method, "params": params}).encode()


def both(uri: str, body: bytes, **kwargs: Any) -> tuple[Any, Any]:
    """(the transport's outcome, requests' outcome): the answer, or the exception raised."""
    outcomes = []
    for post in (HTTPSessionManager.make_post_request, STOCK):
        try:
            outcomes.append(post(HTTPSessionManager(), uri, body, **kwargs))
        except Exception as error:
            outcomes.append(error)
    return outcomes[0], outcomes[1]


class Recorder(StubHandler):
    """Records each request's headers and body; answers with ``status`` after ``delay`` s."""

    seen: ClassVar[list[tuple[list[tuple[str, str]], bytes]]] = []
    status: ClassVar[int] = 200
    delay: ClassVar[float] = 0.0

    def answer(self, path: str, body: bytes) -> tuple[int, bytes]:
        type(self).seen.append((list(self.headers.items()), body))
        time.sleep(self.delay)
        return self.status, b'{"jsonrpc":"2.0","id":7,"error":{"code":-1,"message":"stub"}}'


@pytest.fixture
def recorder() -> type[Recorder]:
    class Fresh(Recorder):
        seen: ClassVar[list[tuple[list[tuple[str, str]], bytes]]] = []

    return Fresh


def test_answers_from_anvil_are_the_stock_paths_answers(accounts: Any, project: Any) -> None:
    uri = ape.chain.provider.uri
    probe = accounts[0].deploy(project.MemoryCopyProbe)
    requests_sent = [
        rpc("eth_chainId"),
        rpc("eth_blockNumber"),
        rpc("eth_getBlockByNumber", "0x1", False),
        rpc("eth_getBalance", accounts[2].address, "latest"),
        rpc("eth_getTransactionCount", accounts[0].address, "latest"),
        rpc("eth_getCode", probe.address, "latest"),
        rpc("eth_feeHistory", "0x2", "latest", [50]),
        rpc("eth_call", {"to": probe.address, "data": "0xdeadbeef"}, "latest"),  # reverts
        rpc("no_such_method"),
    ]
    before = rpctransport.TRANSPORT.posts
    for body in requests_sent:
        ours, stock = both(uri, body, headers=HEADERS, timeout=30)
        assert isinstance(ours, bytes)
        assert ours == stock
    assert rpctransport.TRANSPORT.posts == before + len(requests_sent)


def test_the_server_receives_what_requests_sends(recorder: type[Recorder]) -> None:
    with serving(recorder) as url:
        ours, stock = both(url, rpc("eth_chainId"), headers=HEADERS, timeout=5)
    assert ours == stock
    (our_headers, our_body), (stock_headers, stock_body) = recorder.seen
    assert our_body == stock_body == rpc("eth_chainId")
    assert our_headers == stock_headers
    assert ("Content-Type", "application/json") in our_headers
    assert ("Content-Length", str(len(our_body))) in our_headers


@pytest.mark.parametrize("status", [400, 429, 500, 503])
def test_an_error_status_raises_what_requests_raises(recorder: type[Recorder], status: int) -> None:
    recorder.status = status
    with serving(recorder) as url:
        ours, stock = both(url, rpc("eth_chainId"), headers=HEADERS, timeout=5)
        # and through a web3 provider (no retries, so the first error is raised)
        w3 = Web3(Web3.HTTPProvider(url, exception_retry_configuration=None))
        with pytest.raises(requests.HTTPError) as raised:
            w3.eth.chain_id  # noqa: B018
    assert type(ours) is type(stock) is requests.HTTPError
    assert str(ours) == str(stock) and str(status) in str(ours)
    assert ours.response.status_code == stock.response.status_code == status
    assert ours.response.json() == stock.response.json()
    assert raised.value.response.status_code == status


def test_a_refused_connection_raises_what_requests_raises() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nobody listens there
    ours, stock = both(url, rpc("eth_chainId"), headers=HEADERS, timeout=5)
    assert type(ours) is type(stock) is requests.ConnectionError


def test_a_slow_answer_times_out_as_with_requests(recorder: type[Recorder]) -> None:
    recorder.delay = 1.0
    with serving(recorder) as url:
        ours, stock = both(url, rpc("eth_chainId"), headers=HEADERS, timeout=0.2)
    assert type(ours) is type(stock) is requests.ReadTimeout


def test_other_urls_sessions_and_streams_stay_on_requests(recorder: type[Recorder]) -> None:
    before = rpctransport.TRANSPORT.posts
    # 127.0.0.2 is this machine too, but not one of the LOOPBACK prefixes
    with serving(recorder, host="127.0.0.2") as url:
        assert not rpctransport.loopback(url)
        w3 = Web3(Web3.HTTPProvider(url))
        assert w3.provider.make_request("eth_chainId", [])["error"]["message"] == "stub"  # type: ignore[arg-type,index]
    with serving(recorder) as url:
        w3 = Web3(Web3.HTTPProvider(url, session=requests.Session()))
        assert w3.provider.make_request("eth_chainId", [])["error"]["message"] == "stub"  # type: ignore[arg-type,index]
        answer = HTTPSessionManager().make_post_request(url, rpc("eth_chainId"), stream=True)
        assert b"stub" in answer
    assert len(recorder.seen) == 3
    assert rpctransport.TRANSPORT.posts == before


def test_state_changing_requests_through_the_transport_still_clear_the_memos(
    accounts: Any, project: Any
) -> None:
    probe = accounts[0].deploy(project.MemoryCopyProbe)
    assert probe.is_contract
    provider = ape.chain.provider
    assert (id(provider), probe.address) in apecalls.MEMO.code
    w3 = Web3(Web3.HTTPProvider(provider.uri))
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    posts, forgotten = rpctransport.TRANSPORT.posts, apecalls.MEMO.forgotten
    assert w3.provider.make_request("evm_revert", [snapshot])["result"] is True  # type: ignore[arg-type]
    # the revert, and govchain.toolchain.settle's requests around it: the pool (nothing pending
    # here), the head before, the head after (the snapshot's block again)
    assert rpctransport.TRANSPORT.posts == posts + 4
    assert apecalls.MEMO.forgotten == forgotten + 1
    assert (id(provider), probe.address) not in apecalls.MEMO.code
    assert probe.is_contract  # the snapshot was taken after the deployment


def test_threads_share_one_pool_and_each_gets_its_own_answer(accounts: Any) -> None:
    w3 = Web3(Web3.HTTPProvider(ape.chain.provider.uri))
    expected = {account.address: w3.eth.get_balance(account.address) for account in accounts}
    addresses = list(expected) * 4
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(w3.eth.get_balance, addresses))
    assert answers == [expected[address] for address in addresses]
    pools = {
        pool
        for (pid, uri), (pool, _, _) in rpctransport.TRANSPORT.endpoints.items()
        if pid == os.getpid() and uri == ape.chain.provider.uri
    }
    assert len(pools) == 1


def test_transactions_through_the_transport_still_name_their_custom_errors(
    project: Any, accounts: Any
) -> None:
    posts = rpctransport.TRANSPORT.posts
    registry = accounts[0].deploy(project.DepartmentRegistry, accounts[1], [])
    with ape.reverts(registry.DepartmentUnauthorizedCouncil, caller=accounts[3].address):
        registry.admit(b"\x01" * 32, sender=accounts[3])
    assert rpctransport.TRANSPORT.posts > posts


def test_the_switch_leaves_requests_in_place() -> None:
    code = (
        "from govchain.toolchain import apecalls; apecalls.install()\n"
        "from web3._utils.http_session_manager import HTTPSessionManager as M\n"
        "assert not hasattr(M.make_post_request, '_govchain')\n"
    )
    env = {**os.environ, apecalls.SWITCH_VARIABLE: "0"}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=120)
