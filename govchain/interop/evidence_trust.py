"""Which deployment an evidence file is checked against: the file's contract addresses are the
exporter's word, so they are compared with the addresses the verifier trusts (review s25, H-2:
a look-alike AnchorRegistry over its own DepartmentRegistry, on the same chain, passes every
hash check of the file). :mod:`govchain.interop.evidence` calls these before anything else."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eth_utils.address import to_checksum_address

from govchain.artifacts import load_artifacts
from govchain.errors import GovchainError

if TYPE_CHECKING:
    from web3 import Web3


class EvidenceRefused(GovchainError):
    """An evidence file that does not prove what it claims (exit 1)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"evidence refused: {reason}")


def same(a: Any, b: Any) -> bool:
    return isinstance(a, str) and isinstance(b, str) and a.lower() == b.lower()


def check_contracts(bundle: dict[str, Any], trusted: dict[str, str], online: bool) -> bool:
    """Refuse a file whose contracts are not the trusted ones; whether the AnchorRegistry was
    checked at all (offline it may be unknown)."""
    named = bundle["contracts"]
    if not isinstance(named, dict) or "AnchorRegistry" not in named:
        raise EvidenceRefused("the file names no AnchorRegistry")
    if not online:
        expected = trusted.get("AnchorRegistry")
        if expected is None:
            return False
        if not same(named["AnchorRegistry"], expected):
            raise EvidenceRefused(
                f"the file's AnchorRegistry {named['AnchorRegistry']} is not the trusted "
                f"{expected}: not the platform's deployment"
            )
        return True
    for name in ("AnchorRegistry", "DepartmentRegistry"):
        if name not in named:
            raise EvidenceRefused(f"the file names no {name}")
    for name, address in named.items():
        expected = trusted.get(name)
        if not same(address, expected):
            raise EvidenceRefused(
                f"the file's {name} {address} is not this platform's "
                f"({expected or 'no such contract'}): a look-alike deployment"
            )
    return True


def department_name(w3: Web3, trusted: dict[str, str], owner: bytes) -> str:
    """The department's name as the trusted DepartmentRegistry says (online)."""
    registry = w3.eth.contract(
        address=to_checksum_address(trusted["DepartmentRegistry"]),
        abi=load_artifacts().abi("DepartmentRegistry"),
    )
    return str(registry.functions.department(owner).call()[1])


def same_chain(w3: Web3, bundle: dict[str, Any]) -> None:
    chain_id = int(w3.eth.chain_id)
    if chain_id != int(bundle["chain_id"]):
        raise EvidenceRefused(
            f"the node serves chain {chain_id}, the file is for chain {bundle['chain_id']}"
        )
