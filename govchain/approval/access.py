"""The EIP-2930 access list :meth:`~govchain.approval.cases.Cases.submit` sends with
``submitDecisions``: the storage the decision's check is known to read in the
``DepartmentRegistry``, declared up front so that each read is warm.

``CaseApprovals`` checks all of a step's signers in one
``DepartmentRegistry.activeMembersPrefix`` call, which reads the step's department status and
one member word per signer, each a cold slot (2,100 gas) and the registry a cold account
(2,600). Declared in the transaction's access list a slot costs 1,900 and its read then 100,
the account 2,400 and the call then 100: 100 gas less per signer, per department and for the
registry (docs/gas.md). The list changes nothing the contract checks: a slot listed but
not read costs 1,900 for nothing, a slot read but not listed is read cold as before.

The slots follow ``DepartmentRegistry``'s storage layout (``_departments`` at slot 0, a
department's status in its struct's first word; ``_members`` at slot 1), which
tests/approval/test_access_list.py reads back from the chain.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from eth_typing import HexStr
from eth_utils.crypto import keccak
from web3.types import AccessList, AccessListEntry

DEPARTMENTS_SLOT = 0
"""``DepartmentRegistry._departments`` (``mapping(bytes32 => Department)``; status in word 0)."""
MEMBERS_SLOT = 1
"""``DepartmentRegistry._members`` (``mapping(address => uint256)``: department | roles)."""


def _mapping_slot(key: bytes, slot: int) -> bytes:
    return bytes(keccak(key.rjust(32, b"\0") + slot.to_bytes(32, "big")))


def member_slot(account: str) -> bytes:
    """The storage slot of ``account``'s member word in the ``DepartmentRegistry``."""
    return _mapping_slot(bytes.fromhex(account.removeprefix("0x")), MEMBERS_SLOT)


def department_status_slot(code: bytes) -> bytes:
    """The storage slot of department ``code``'s status word in the ``DepartmentRegistry``."""
    if len(code) != 32:
        raise ValueError("a department code is 32 bytes")
    return _mapping_slot(code, DEPARTMENTS_SLOT)


def decision_access_list(registry: str, steps: Iterable[tuple[bytes, Sequence[str]]]) -> AccessList:
    """The access list of a ``submitDecisions`` whose ``steps`` are ``(department, signers)``:
    the registry with each department's status slot and each signer's member slot, once each."""
    keys: dict[bytes, None] = {}
    for department, signers in steps:
        keys[department_status_slot(department)] = None
        for signer in signers:
            keys[member_slot(signer)] = None
    entry: AccessListEntry = {
        "address": HexStr(registry),
        "storageKeys": [HexStr("0x" + k.hex()) for k in keys],
    }
    return AccessList([entry])
