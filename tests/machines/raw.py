"""Refusals asked by ``eth_call`` through web3.py, their custom errors decoded from the ABI.

ape's foundry provider fetches and prints a call trace of every revert (a debug trace per
refusal, the larger part of a refused move's time); the machine asks most of its refusals
this way instead, and sends through ape only what it expects to be mined.
"""

from __future__ import annotations

from typing import Any

from eth_abi.abi import decode
from eth_utils.crypto import keccak
from web3 import Web3
from web3.exceptions import ContractCustomError


def _raw(value: Any) -> Any:
    """An ape account or contract as its address; tuples and lists element by element."""
    if hasattr(value, "address"):
        return str(value.address)
    if isinstance(value, tuple | list):
        return type(value)(_raw(v) for v in value)
    return value


def _type(entry: dict[str, Any]) -> str:
    if entry["type"].startswith("tuple"):
        inner = ",".join(_type(c) for c in entry["components"])
        return f"({inner}){entry['type'][5:]}"
    return str(entry["type"])


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    if isinstance(a, bytes | bytearray) and isinstance(b, bytes | bytearray):
        return bytes(a) == bytes(b)
    return bool(a == b)


class Raw:
    """web3.py twins of ape contracts, for calls expected to revert."""

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3
        self._twins: dict[str, tuple[Any, dict[bytes, tuple[str, list[str], list[str]]]]] = {}

    def _twin(self, contract: Any) -> tuple[Any, dict[bytes, tuple[str, list[str], list[str]]]]:
        address = Web3.to_checksum_address(str(contract.address))
        if address not in self._twins:
            abi = [e.model_dump(mode="json", by_alias=True) for e in contract.contract_type.abi]
            errors = {}
            for e in abi:
                if e["type"] == "error":
                    types = [_type(i) for i in e["inputs"]]
                    selector = keccak(text=f"{e['name']}({','.join(types)})")[:4]
                    errors[selector] = (e["name"], types, [i["name"] for i in e["inputs"]])
            self._twins[address] = (self.w3.eth.contract(address=address, abi=abi), errors)
        return self._twins[address]

    def reverts(
        self, contract: Any, method: str, args: tuple[Any, ...], sender: Any, error: str,
        expected: dict[str, Any],
    ) -> None:  # fmt: skip
        """``method(*args)`` called by ``sender`` at the head block reverts with ``error``
        whose named arguments include ``expected``."""
        twin, errors = self._twin(contract)
        fn = twin.get_function_by_name(method)(*_raw(args))
        try:
            fn.call({"from": _raw(sender)})
        except ContractCustomError as exc:
            data = bytes.fromhex(str(exc.data)[2:])
        else:
            raise AssertionError(f"{method} did not revert; expected {error}")
        name, types, names = errors[data[:4]]
        values = dict(zip(names, decode(types, data[4:]), strict=True))
        assert name == error, (method, name, values, error, expected)
        for key, value in expected.items():
            assert _same(values[key], value), (method, name, key, values[key], value)
