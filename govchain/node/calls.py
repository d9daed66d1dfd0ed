"""Contract view calls for JSON-RPC batches, encoded and decoded from the packaged ABIs.

:class:`View` takes a function's ABI entry from ``govchain/abi/contracts.json`` (through
:func:`govchain.artifacts.load_artifacts`, found with web3's ``get_abi_element``), its selector
and argument and return types from that entry (``eth_utils.abi``), and encodes and decodes with
``eth_abi`` - what web3's contract objects do, without building a contract call object for every
request (``Contract.encode_abi`` costs about 2 ms a call; this about 0.05 ms). A function that
changes in a contract changes here with the next ABI bundle; a function missing from the bundle
fails at first use, naming it.
"""

from __future__ import annotations

import threading
from typing import Any

from eth_abi.abi import decode, encode


class View:
    """One contract function from the packaged ABI: ``data(*args)`` is its call data (0x hex),
    ``decode(result)`` its return values (a tuple)."""

    def __init__(self, contract: str, function: str) -> None:
        self.contract = contract
        self.function = function
        self._spec: tuple[bytes, list[str], list[str]] | None = None
        self._lock = threading.Lock()

    def _load(self) -> tuple[bytes, list[str], list[str]]:
        spec = self._spec
        if spec is None:
            with self._lock:
                if self._spec is None:
                    # imported here: web3 costs the CLI 0.4 s of start-up it mostly does not need
                    from eth_utils.abi import (
                        function_abi_to_4byte_selector,
                        get_abi_input_types,
                        get_abi_output_types,
                    )
                    from web3.utils.abi import get_abi_element

                    from govchain.artifacts import load_artifacts

                    entry: Any = get_abi_element(
                        load_artifacts().abi(self.contract),  # type: ignore[arg-type]
                        self.function,
                    )
                    self._spec = (
                        function_abi_to_4byte_selector(entry),
                        get_abi_input_types(entry),
                        get_abi_output_types(entry),
                    )
                spec = self._spec
        return spec

    @property
    def selector(self) -> bytes:
        return self._load()[0]

    @property
    def args(self) -> list[str]:
        return self._load()[1]

    @property
    def returns(self) -> list[str]:
        return self._load()[2]

    def data(self, *args: Any) -> str:
        selector, inputs, _ = self._load()
        return "0x" + (selector + encode(inputs, list(args))).hex()

    def decode(self, result: str) -> tuple[Any, ...]:
        return tuple(decode(self._load()[2], bytes.fromhex(result[2:])))

    def __repr__(self) -> str:
        return f"View({self.contract}.{self.function})"


MEMBER_OF = View("DepartmentRegistry", "memberOf")
IS_ACTIVE_MEMBER = View("DepartmentRegistry", "isActiveMember")
DEPARTMENT_STATUS = View("DepartmentRegistry", "departmentStatus")
GRANT_STATE = View("AccessGrants", "grantState")
CONSENT_CURRENT = View("AccessGrants", "consentCurrent")
ACCESS_STATUS = View("AccessGrants", "accessStatus")
CATEGORY_INFO = View("AnchorRegistry", "categoryInfo")
IDENTITY_OWNER = View("CitizenRegistry", "identityOwner")
VALID_DELEGATE = View("CitizenRegistry", "validDelegate")
RECORD_VERSION = View("AnchorRegistry", "recordVersion")
BATCH_ANCHOR = View("AnchorRegistry", "batchAnchor")
LATEST_VERSION = View("AnchorRegistry", "latestVersion")
