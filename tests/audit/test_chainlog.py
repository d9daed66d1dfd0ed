"""The audits' log reader checks the node's answer (review s31/3 F6): behind a node or proxy
that ignores ``eth_getLogs``' address filter, a look-alike contract's ``AccessRecorded`` (anyone
can deploy one with the same event) never enters an access trail, a misuse or a tamper audit."""

from __future__ import annotations

from typing import Any

from govchain.audit.chainlog import get_logs
from govchain.node.chain import ACCESS_RECORDED_TOPIC

ACCESS_GRANTS = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
LOOKALIKE = "0x000000000000000000000000000000000000bEEF"
HRSS = "0x" + b"HRSS".ljust(32, b"\0").hex()
TOPICS = ["0x" + ACCESS_RECORDED_TOPIC.hex(), None, HRSS]


def _log(address: str, third: str = HRSS, removed: bool = False) -> dict[str, Any]:
    return {
        "address": address,
        "topics": [TOPICS[0], "0x" + "00" * 32, third],
        "data": "0x",
        "blockNumber": "0x5",
        "transactionHash": "0x" + "11" * 32,
        "logIndex": "0x0",
        "removed": removed,
    }


class AddressBlindNode:
    """Answers every ``eth_getLogs`` with the same logs, whatever address was asked for."""

    def __init__(self, logs: list[dict[str, Any]]) -> None:
        self.logs = logs
        self.asked: list[Any] = []

    def rpc(self, method: str, params: list[Any]) -> Any:
        if method == "eth_blockNumber":
            return "0x10"
        assert method == "eth_getLogs"
        self.asked.append(params[0])
        return self.logs


def test_only_the_asked_addresss_matching_logs_are_kept() -> None:
    real = _log(ACCESS_GRANTS.lower())  # nodes answer addresses in lower case
    node = AddressBlindNode(
        [
            _log(LOOKALIKE),
            real,
            _log(ACCESS_GRANTS, third="0x" + "ee" * 32),  # another department: topics differ
            _log(ACCESS_GRANTS, removed=True),
        ]
    )
    assert get_logs(node, ACCESS_GRANTS, TOPICS) == [real]  # type: ignore[arg-type]
    assert node.asked[0]["address"] == ACCESS_GRANTS
