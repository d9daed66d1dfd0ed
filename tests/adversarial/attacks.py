"""Small tools of the attack suite: malleated signatures, domains moved to another chain."""

from __future__ import annotations

from dataclasses import replace

from govchain.eip712 import Domain

#: order of secp256k1
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

#: EIP-7825 (osaka): the most gas one transaction may use
TX_GAS_CAP = 16_777_216


def malleate(signature: bytes) -> bytes:
    """The other valid ECDSA signature of the same message by the same key: ``s -> n - s`` (high
    s) with the recovery id flipped. Only low-s signatures are canonical (EIP-2)."""
    assert len(signature) == 65
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    flipped = {27: 28, 28: 27, 0: 1, 1: 0}[v]
    return r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([flipped])


def on_chain(domain: Domain, chain_id: int) -> Domain:
    """``domain`` moved to another chain id (a replay across chains)."""
    return replace(domain, chain_id=chain_id)


def on_contract(domain: Domain, contract: str) -> Domain:
    """``domain`` moved to another verifying contract (a replay across contracts)."""
    return replace(domain, verifying_contract=contract)
