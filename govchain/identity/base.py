"""What the identity clients share: a contract bound to a connection, an optional sender,
event reading from the deployment block, and the small value helpers (codes, roles, times).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError
from web3.types import EventData, TxReceipt

from govchain import timefmt, validate
from govchain.errors import GovchainError, InvalidInput, NoSigningKey
from govchain.network import Connection
from govchain.tx import Sender
from govchain.tx import Sent as Sent  # the one result type; identity clients import it here

ZERO32 = b"\0" * 32
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"

ROLE_STAFF, ROLE_APPROVER, ROLE_ADMIN, ROLE_AUDITOR = 1, 2, 4, 8
ROLES: dict[str, int] = {
    "staff": ROLE_STAFF,
    "approver": ROLE_APPROVER,
    "admin": ROLE_ADMIN,
    "auditor": ROLE_AUDITOR,
}


NoSigner = NoSigningKey  # the SDK's one "no signing key" error, under its older name here


class Refused(GovchainError, PermissionError):
    """A check before sending found that the chain would refuse: nothing was sent."""

    exit_code = 1

    def __init__(self, reason: str) -> None:
        super().__init__(f"refused: {reason}")


# --- values ---------------------------------------------------------------------------------


def code_text(code: bytes) -> str:
    """A department code as people write it (``HRSS``); hex if it is not printable ASCII."""
    raw = bytes(code).rstrip(b"\0")
    if raw and all(32 < b < 127 for b in raw):
        return raw.decode("ascii")
    return "0x" + bytes(code).hex()


def hex32(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def parse_roles(text: str | Sequence[str]) -> int:
    """``staff,approver`` (or a list of names, or a number 1..15) as a role bit mask."""
    parts = [text] if isinstance(text, str) else list(text)
    names = [p.strip().lower() for part in parts for p in part.split(",") if p.strip()]
    if len(names) == 1 and names[0].isdigit():
        mask = int(names[0])
        if not 1 <= mask <= 15:
            raise InvalidInput("roles", names[0], "a mask must be 1 to 15")
        return mask
    mask = 0
    for name in names:
        if name.endswith("s") and name[:-1] in ROLES:
            name = name[:-1]
        if name not in ROLES:
            raise InvalidInput("role", name, f"expected one of {', '.join(ROLES)}")
        mask |= ROLES[name]
    if mask == 0:
        raise InvalidInput("roles", text, f"name at least one of {', '.join(ROLES)}")
    return mask


def role_names(mask: int) -> list[str]:
    return [name for name, bit in ROLES.items() if mask & bit]


iso_time = timefmt.iso_or_never  # the one time formatter; ``never`` for zero


# --- the client base -----------------------------------------------------------------------


class ContractClient:
    """One deployed contract, read through ``connection`` and written through ``sender``."""

    NAME: ClassVar[str]

    def __init__(self, connection: Connection, sender: Sender | None = None) -> None:
        self.connection = connection
        self.sender = sender
        self.contract: Contract = connection.contract(self.NAME)

    @property
    def w3(self) -> Web3:
        return self.connection.w3

    @property
    def address(self) -> ChecksumAddress:
        return validate.address(self.contract.address)

    def _signer(self, action: str) -> Sender:
        if self.sender is None:
            raise NoSigner(action)
        return self.sender

    def _send(self, function: ContractFunction, action: str) -> TxReceipt:
        """Send with the sender's preflight (a custom error becomes a plain ChainRefused)."""
        return self._signer(action).transact(function)

    def now(self) -> int:
        """The latest block's timestamp: the chain's clock, which deadlines are checked against."""
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def _logs(self, event: str, **filters: Any) -> list[EventData]:
        """Every ``event`` of this contract since the deployment, optionally by indexed argument."""
        start = self.connection.deployment.deploy_block
        factory = self.contract.events[event]
        logs = factory.get_logs(from_block=start, argument_filters=filters or None)
        return sorted(logs, key=lambda e: (e["blockNumber"], e["logIndex"]))

    def _event(self, receipt: TxReceipt, event: str) -> list[EventData]:
        """The ``event`` logs this contract emitted in ``receipt``."""
        factory = self.contract.events[event]()
        topic = HexBytes(factory.topic)
        return [
            factory.process_log(log)
            for log in receipt["logs"]
            if validate.address(log["address"]) == self.address
            and log["topics"]
            and HexBytes(log["topics"][0]) == topic
        ]

    def _view(self, function: ContractFunction) -> Any:
        """A read; a revert (unknown id...) raises ``ContractLogicError`` for the caller to map."""
        return function.call()


def reverted(exc: BaseException) -> bool:
    return isinstance(exc, ContractLogicError)
