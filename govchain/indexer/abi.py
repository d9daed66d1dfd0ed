"""Event ABIs: read from ape's compiled manifest, decoded from raw logs into JSON-ready values.

Values are normalised for JSON and SQL: addresses checksummed, fixed and dynamic bytes as
``0x`` lowercase hex, integers as ``int``, tuples as objects keyed by component name, arrays as
lists. An indexed argument of a dynamic type (string, bytes, array, tuple) is only its keccak
hash in the log; it is kept as that hash in hex.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.abi import collapse_if_tuple
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from govchain.artifacts import default_path, load_artifacts
from govchain.errors import GovchainError
from govchain.indexer.errors import ArtifactsMissing

ABI = list[dict[str, Any]]


def load_abis(names: Sequence[str], manifest: Path | None = None) -> dict[str, ABI]:
    """The ABI of each named contract type from ape's compiled manifest (:mod:`govchain.artifacts`:
    ``$GOVCHAIN_ARTIFACTS``, else ``.build/__local__.json`` here, else the checkout's)."""
    try:
        artifacts = load_artifacts(manifest)
    except GovchainError as exc:
        raise ArtifactsMissing(f"{manifest or default_path()} ({exc})") from exc
    out: dict[str, ABI] = {}
    for name in names:
        if name not in artifacts:
            raise ArtifactsMissing(f"contract type {name!r} in {artifacts.path}")
        out[name] = list(artifacts.abi(name))
    return out


@dataclass(frozen=True)
class Leaf:
    """One scalar argument reached while decoding: its dotted path, its own name, its ABI type."""

    path: str
    name: str
    type: str
    value: Any


@dataclass(frozen=True)
class EventSpec:
    """A decodable event: its name, topic0 and the split of its inputs into indexed / data."""

    name: str
    signature: str
    topic0: str
    indexed: tuple[dict[str, Any], ...]
    data: tuple[dict[str, Any], ...]
    data_types: tuple[str, ...]
    inputs: tuple[
        tuple[dict[str, Any], bool, int], ...
    ]  # (input, indexed, position in topics/data)

    @classmethod
    def from_abi(cls, entry: Mapping[str, Any]) -> EventSpec:
        inputs = list(entry.get("inputs", []))
        signature = f"{entry['name']}({','.join(collapse_if_tuple(i) for i in inputs)})"
        data = tuple(i for i in inputs if not i.get("indexed"))
        counters = [0, 0]
        placed: list[tuple[dict[str, Any], bool, int]] = []
        for i in inputs:
            indexed = bool(i.get("indexed"))
            placed.append((dict(i), indexed, counters[indexed]))
            counters[indexed] += 1
        return cls(
            name=str(entry["name"]),
            signature=signature,
            topic0="0x" + keccak(text=signature).hex(),
            indexed=tuple(i for i in inputs if i.get("indexed")),
            data=data,
            data_types=tuple(collapse_if_tuple(i) for i in data),
            inputs=tuple(placed),
        )

    def decode(self, topics: Sequence[str], data: str) -> tuple[dict[str, Any], list[Leaf]]:
        """The arguments by name in ABI order, and every scalar leaf (for column extraction)."""
        if len(topics) != len(self.indexed) + 1:
            raise ValueError(
                f"{self.name}: {len(topics) - 1} indexed topics, ABI has {len(self.indexed)}"
            )
        raw = abi_decode(self.data_types, bytes.fromhex(data[2:])) if self.data else ()
        args: dict[str, Any] = {}
        leaves: list[Leaf] = []
        for entry, indexed, position in self.inputs:
            name = str(entry["name"])
            if indexed:
                value = _from_topic(str(entry["type"]), topics[1 + position])
                leaves.append(Leaf(name, name, str(entry["type"]), value))
                args[name] = value
            else:
                args[name] = _normalise(entry, raw[position], name, leaves)
        return args, leaves


def event_specs(abi: ABI) -> dict[str, EventSpec]:
    """topic0 -> spec, for every non-anonymous event of an ABI."""
    specs = (
        EventSpec.from_abi(e) for e in abi if e.get("type") == "event" and not e.get("anonymous")
    )
    return {s.topic0: s for s in specs}


@lru_cache(maxsize=65536)
def checksum(address: str) -> str:
    return str(to_checksum_address(address))


_DYNAMIC = ("string", "bytes")


def _from_topic(typ: str, topic: str) -> Any:
    topic = topic.lower()
    if typ.endswith("]") or typ.startswith("tuple") or typ in _DYNAMIC:
        return topic  # only the hash of the value is in the log
    if typ == "address":
        return checksum("0x" + topic[-40:])
    if typ == "bool":
        return int(topic, 16) != 0
    if typ.startswith("bytes"):
        return topic[: 2 + 2 * int(typ[5:])]
    if typ.startswith("uint"):
        return int(topic, 16)
    if typ.startswith("int"):
        value = int(topic, 16)
        return value - (1 << 256) if value >= 1 << 255 else value
    return topic


def _normalise(entry: Mapping[str, Any], value: Any, path: str, leaves: list[Leaf]) -> Any:
    typ = str(entry["type"])
    if typ.endswith("]"):
        inner = dict(entry, type=typ[: typ.rindex("[")])
        return [_normalise(inner, v, f"{path}[{i}]", leaves) for i, v in enumerate(value)]
    if typ == "tuple":
        return {
            str(c["name"]): _normalise(c, v, f"{path}.{c['name']}", leaves)
            for c, v in zip(entry["components"], value, strict=True)
        }
    if typ == "address":
        value = checksum(value)
    elif isinstance(value, bytes):
        value = "0x" + value.hex()
    leaves.append(Leaf(path, str(entry["name"]), typ, value))
    return value
