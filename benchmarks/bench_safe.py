"""Gas of the official Safe's own signature check on this toolchain (anvil 1.7.1), for 1.4.1 and
1.5.0 from their npm build artifacts: ``execTransaction`` of the same call (a zero-value call to
an EOA, no data) by a k-of-3 Safe with k = 1, 2, 3 owners' ECDSA signatures of the SafeTx
hash (``v`` 27/28), first at the Safe's nonce 0 (its nonce slot written from zero) and then at
nonce 1 (the steady state), then at nonce 2 with the owners' slots in an EIP-2930 access list
(as govchain's SDK lists the signers' member slots with ``submitDecisions``). One more signature
costs the difference; docs/gas.md compares govchain's per-extra approval signature with it.

Run: ``python -m govchain.toolchain.testrun benchmarks/bench_safe.py`` → writes
``benchmarks/results/gas_safe.json``. Owner keys, the relayer and the module's block times are
fixed, so the signatures, hence calldata and gas, are the same in every run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_utils.crypto import keccak

from govchain.safe import ZERO_ADDRESS, OwnerSignature, SafeWallet, combine_owner_signatures
from govchain.toolchain.safe import SAFE_VERSIONS, SafeDeployment
from govchain.tx import Sender, encode_call

OUT = Path(__file__).resolve().parent / "results" / "gas_safe.json"
OWNERS = 3
OWNERS_SLOT = (
    2  # Safe's OwnerManager.owners (mapping(address => address)), after singleton and modules
)


def test_gas_of_safe_signatures(
    safe_deployments: dict[str, SafeDeployment], relayer: Sender
) -> None:
    owners = [Account.from_key(keccak(text=f"bench safe signer {i}")) for i in range(OWNERS)]
    ordered = sorted(owners, key=lambda o: int(o.address, 16))
    rows: list[dict[str, Any]] = []
    summary: dict[str, Any] = {}
    for version in SAFE_VERSIONS:
        first: dict[int, int] = {}
        steady: dict[int, int] = {}
        listed: dict[int, int] = {}
        for k in range(1, OWNERS + 1):
            safe = safe_deployments[version].create(
                relayer, [o.address for o in owners], k, salt=100 + k
            )
            assert safe.version() == version and safe.threshold() == k
            for nonce, gas in ((0, first), (1, steady)):
                receipt = safe.execute(relayer, ordered[:k], relayer.account.address, b"")
                gas[k] = int(receipt["gasUsed"])
                rows.append(
                    {
                        "operation": f"Safe {version} execTransaction at nonce {nonce}, "
                        f"{k} of {OWNERS} signing",
                        "version": version,
                        "nonce": nonce,
                        "signatures": k,
                        "gas": gas[k],
                        "calldata_bytes": len(receipt_input(relayer, receipt)),
                    }
                )
            receipt = execute_listed(relayer, safe, ordered[:k])
            listed[k] = int(receipt["gasUsed"])
            rows.append(
                {
                    "operation": f"Safe {version} execTransaction at nonce 2, {k} of {OWNERS} "
                    "signing, the signers' owner slots in an access list",
                    "version": version,
                    "nonce": 2,
                    "signatures": k,
                    "gas": listed[k],
                    "calldata_bytes": len(receipt_input(relayer, receipt)),
                }
            )
        extra = [steady[k + 1] - steady[k] for k in range(1, OWNERS)]
        assert all(e > 0 for e in extra)
        summary[version] = {
            "one_signature_nonce0": first[1],
            "one_signature": steady[1],
            "per_extra_signature": extra,
            "per_extra_signature_nonce0": [first[k + 1] - first[k] for k in range(1, OWNERS)],
            "per_extra_signature_access_list": [
                listed[k + 1] - listed[k] for k in range(1, OWNERS)
            ],
        }
        print(f"Safe {version}: {first} then {steady} -> per extra signature {extra}")
    OUT.write_text(json.dumps({"rows": rows, "summary": summary}, indent=2) + "\n")


def receipt_input(sender: Sender, receipt: Any) -> bytes:
    return bytes(sender.w3.eth.get_transaction(receipt["transactionHash"])["input"])


def owner_slot(owner: str) -> bytes:
    """The storage slot of ``owners[owner]`` in a Safe (the linked list of owners)."""
    return bytes(keccak(bytes(12) + bytes.fromhex(owner[2:]) + OWNERS_SLOT.to_bytes(32, "big")))


def execute_listed(relayer: Sender, safe: SafeWallet, owners: list[Any]) -> Any:
    """:meth:`SafeWallet.execute` of the same call (a zero-value call to the relayer), sent with
    the signing owners' slots (each read by ``checkNSignatures``) in an access list."""
    w3 = relayer.w3
    for o in owners:  # the slot is the owners list's: it holds the next owner, never zero
        assert int.from_bytes(w3.eth.get_storage_at(safe.address, owner_slot(o.address)), "big")
    fn = safe.contract.functions
    args = (relayer.account.address, 0, b"", 0, 0, 0, 0, ZERO_ADDRESS, ZERO_ADDRESS)
    tx_hash = bytes(fn.getTransactionHash(*args, int(fn.nonce().call())).call())
    signatures = [
        OwnerSignature(o.address, bytes(Account.unsafe_sign_hash(tx_hash, o.key).signature))
        for o in owners
    ]
    call = fn.execTransaction(*args, combine_owner_signatures(signatures))
    keys = ["0x" + owner_slot(o.address).hex() for o in owners]
    return relayer.send(
        {
            "to": call.address,
            "data": encode_call(call),
            "accessList": [{"address": safe.address, "storageKeys": keys}],  # type: ignore[list-item]
        }
    )
