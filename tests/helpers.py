"""Small helpers shared by the test suites."""

from __future__ import annotations

from typing import Any

ROLE_STAFF = 1
ROLE_APPROVER = 2
ROLE_ADMIN = 4
ROLE_AUDITOR = 8

# DepartmentStatus enum values
NONE, PROPOSED, ACTIVE, SUSPENDED, RETIRED = range(5)


def code(name: str) -> bytes:
    """A department (or other) code: ASCII, right-padded with zeros to 32 bytes."""
    raw = name.encode()
    assert len(raw) <= 32, name
    return raw.ljust(32, b"\0")


def enrol(departments: Any, admin: Any, account: Any, roles: int) -> Any:
    """``admin`` offers ``account`` membership of its department with ``roles`` and the key
    accepts (a key joins a department only with its consent); returns the accepting receipt."""
    departments.addMember(account, roles, sender=admin)
    dept = departments.memberOf(admin)[0]
    return departments.acceptMembership(dept, sender=account)


def refused_deployment(container: Any, args: list[Any], sender: Any) -> tuple[str, dict[str, Any]]:
    """(custom error name, its arguments) of deploying ``container`` with ``args``, asked by
    ``eth_call``: not ``ape.reverts`` around ``deploy``, whose trace of a refused CREATE
    decodes the init code against whatever contract an earlier, reverted test left at the
    same address and can fail there (``InvalidPointer``), hiding the refusal."""
    import ape
    from eth_abi import decode
    from eth_utils import keccak, to_checksum_address
    from web3.exceptions import ContractCustomError

    abi = container.contract_type
    web3 = ape.chain.provider.web3
    factory = web3.eth.contract(
        abi=[item.model_dump(by_alias=True, mode="json") for item in abi.abi],
        bytecode=abi.deployment_bytecode.bytecode,
    )
    plain = [getattr(a, "address", a) for a in args]
    plain = [[getattr(x, "address", x) for x in a] if isinstance(a, list) else a for a in plain]
    data = factory.constructor(*plain).data_in_transaction
    try:
        web3.eth.call({"from": sender.address, "data": data})
    except ContractCustomError as refused:
        raw = bytes.fromhex(str(refused.data).removeprefix("0x"))
    else:
        raise AssertionError(f"deploying {abi.name} with {args} was not refused")
    for error in abi.errors:
        if keccak(text=error.selector)[:4] == raw[:4]:
            types = [i.canonical_type for i in error.inputs]
            values = [
                to_checksum_address(v) if t == "address" else v
                for t, v in zip(types, decode(types, raw[4:]), strict=True)
            ]
            return error.name, {i.name: v for i, v in zip(error.inputs, values, strict=True)}
    raise AssertionError(f"deploying {abi.name} was refused with unknown data 0x{raw.hex()}")
