"""A key's department membership at a past block, from DepartmentRegistry's events alone.

``memberOf(account)`` read at an old block needs that block's state: only an archive node keeps
it (a full node answers for the last ~128 blocks). Every change that ``memberOf`` depends on is
also an event of the registry, from its constructor on: ``MemberAdded`` (a founder's admin, an
accepted offer, a council-appointed admin), ``MemberRolesChanged``, ``MemberRemoved`` and
``MemberCompromised`` (indexed by ``account``), and ``DepartmentStatusChanged`` (indexed by
``code``, Active at founding). Replaying them up to and including block N gives what
``memberOf`` answered at the end of block N. Logs are receipts, which a full node keeps (a node
that expires old history, EIP-4444 style, needs a history provider instead).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eth_utils.address import to_checksum_address

from govchain.identity.departments import DepartmentStatus

if TYPE_CHECKING:
    from govchain.network import Connection

ZERO32 = b"\0" * 32
_JOIN = ("MemberAdded", "MemberRolesChanged")
_LEAVE = ("MemberRemoved", "MemberCompromised")


@dataclass(frozen=True)
class Membership:
    """``memberOf`` as of a block: department (zero if none), roles, and whether that
    department was Active."""

    department: bytes
    roles: int
    active: bool


def _key(log: Any) -> tuple[int, int]:
    return int(log["blockNumber"]), int(log["logIndex"])


def membership_at(connection: Connection, account: str, block: int) -> Membership:
    """What ``DepartmentRegistry.memberOf(account)`` returned at the end of ``block``, read from
    the registry's logs (no state of that block is needed)."""
    registry = connection.contract("DepartmentRegistry")
    start = connection.deployment.deploy_block
    account = to_checksum_address(account)
    logs: list[Any] = []
    for name in (*_JOIN, *_LEAVE):
        logs += getattr(registry.events, name)().get_logs(
            from_block=start, to_block=block, argument_filters={"account": account}
        )
    # re-checked here: a node may ignore indexed-argument filters (EthereumJS 0.10.5 does)
    logs = [log for log in logs if to_checksum_address(log["args"]["account"]) == account]
    department, roles = ZERO32, 0
    for log in sorted(logs, key=_key):
        if log["event"] in _JOIN:
            department, roles = bytes(log["args"]["department"]), int(log["args"]["roles"])
        else:
            department, roles = ZERO32, 0
    if department == ZERO32:
        return Membership(ZERO32, 0, False)
    statuses = registry.events.DepartmentStatusChanged().get_logs(
        from_block=start, to_block=block, argument_filters={"code": department}
    )
    statuses = [log for log in statuses if bytes(log["args"]["code"]) == department]
    status = int(max(statuses, key=_key)["args"]["to"]) if statuses else 0
    return Membership(department, roles, status == DepartmentStatus.ACTIVE)


@dataclass(frozen=True)
class Standing:
    """A key's standing at one block, read from DepartmentRegistry's state: ``memberOf``, its
    department's status, and when the council marked it compromised (0 if never)."""

    department: bytes
    roles: int
    status: DepartmentStatus
    compromised_since: int


def standing(connection: Connection, account: str, block: int) -> Standing:
    """The registry's answer about ``account`` at ``block`` (a recent block: a state read, which
    a full node serves for its last ~128 blocks)."""
    views = connection.contract("DepartmentRegistry").functions
    account = to_checksum_address(account)
    department, roles, _active = views.memberOf(account).call(block_identifier=block)
    since = int(views.compromisedSince(account).call(block_identifier=block))
    department = bytes(department)
    status = (
        DepartmentStatus(int(views.departmentStatus(department).call(block_identifier=block)))
        if department != ZERO32
        else DepartmentStatus.NONE
    )
    return Standing(department, int(roles), status, since)
