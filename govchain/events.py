"""Events read by the data node and the audits, decoded from the compiled ABIs.

The same decoder as the indexer's (:class:`govchain.indexer.abi.EventSpec`): an event's topic
and argument layout come from the ABI shipped in the package, not from signatures written by
hand, so a changed event cannot be read by position with the wrong layout. Values come back
as the indexer stores them: addresses checksummed, bytes as ``0x`` hex, integers as ``int``,
arrays as lists (:func:`b32` turns a ``0x`` hex word back into bytes).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from govchain.artifacts import load_artifacts
from govchain.errors import NotFound
from govchain.indexer.abi import EventSpec


@cache
def spec(contract: str, event: str) -> EventSpec:
    """The event ``event`` of compiled contract ``contract``."""
    for entry in load_artifacts().abi(contract):
        if entry.get("type") == "event" and entry.get("name") == event:
            return EventSpec.from_abi(entry)
    raise NotFound("event", f"{contract}.{event}", "not in the compiled ABI")


def topic(contract: str, event: str) -> bytes:
    """The event's topic0 (keccak256 of its signature) as 32 bytes."""
    return bytes.fromhex(spec(contract, event).topic0[2:])


def decode(contract: str, event: str, log: Mapping[str, Any]) -> dict[str, Any]:
    """A raw JSON-RPC log's arguments by name (indexed and data alike)."""
    args, _leaves = spec(contract, event).decode(list(log["topics"]), str(log["data"]))
    return args


def b32(value: str) -> bytes:
    """A ``0x`` hex word (as :func:`decode` returns bytes) as bytes."""
    return bytes.fromhex(value[2:])
