"""Safe's owner signature kinds beyond an owner key's EIP-712 signature, produced by
``govchain.safe`` and checked by the official Safe (1.4.1 and 1.5.0) through its ERC-1271 answer,
the one govchain's contracts ask (OpenZeppelin's ``SignatureChecker``):

- ``eth_sign`` (``v`` + 4): accepted; of another message, or with ``v`` not raised, refused;
- an approved hash (``v`` 1): accepted once the owner called ``approveHash`` on the SafeMessage
  hash; before it, or after approving another hash, refused; a non-owner cannot approve;
- a contract owner (``v`` 0): a nested Safe whose owners signed what the outer Safe asks it
  (the preimage for 1.4.1, the hash for 1.5.0) is accepted; below the nested Safe's threshold,
  the other version's message, or a pointer into the static part, refused; the tests' ERC-1271
  wallet, which answers only ``isValidSignature(bytes32,bytes)``, is accepted by Safe 1.5.0 and
  refused by Safe 1.4.1 (which asks the legacy ``isValidSignature(bytes,bytes)``).

And end to end: a Safe-owned citizen identity adds a delegate (``addDelegateSigned``) with an
``eth_sign`` part and a nested Safe's part; without a valid part the registry refuses with
``SignatureInvalidSigner``.
"""

from __future__ import annotations

from typing import Any

import ape
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from web3 import Web3
from web3.exceptions import ContractLogicError

from govchain.errors import InvalidInput
from govchain.identity.messages import ADD_DELEGATE, citizen_domain
from govchain.safe import (
    OwnerSignature,
    SafeWallet,
    approved_hash_signature,
    combine_owner_signatures,
    contract_owner_message,
    eth_sign_safe_message,
    recover_safe_owner,
    safe_message_data,
    safe_message_hash,
    sign_safe_message,
)
from govchain.toolchain.safe import SafeDeployment
from govchain.tx import Sender
from tests.safe.conftest import make_safe

DAY = 86_400


@pytest.fixture
def keys() -> list[LocalAccount]:
    return [Account.create() for _ in range(4)]


def eip712(key: LocalAccount, w3: Web3, safe: str, digest: bytes) -> OwnerSignature:
    return OwnerSignature(key.address, sign_safe_message(key, w3.eth.chain_id, safe, digest))


def test_an_eth_sign_owner_beside_an_eip712_owner(
    safe_contracts: SafeDeployment, relayer: Sender, keys: list[LocalAccount], w3: Web3
) -> None:
    safe = make_safe(safe_contracts, relayer, keys[:2], 2)
    digest, chain_id = keccak(text="eth_sign"), w3.eth.chain_id
    signed = eth_sign_safe_message(keys[0], chain_id, safe.address, digest)
    assert signed[64] in (31, 32)
    assert recover_safe_owner(chain_id, safe.address, digest, signed) == keys[0].address
    second = eip712(keys[1], w3, safe.address, digest)
    assert safe.accepts(
        digest, combine_owner_signatures([OwnerSignature(keys[0].address, signed), second])
    )

    other = eth_sign_safe_message(keys[0], chain_id, safe.address, keccak(text="another"))
    not_raised = signed[:64] + bytes([signed[64] - 4])
    for bad in (other, not_raised):
        joined = combine_owner_signatures([OwnerSignature(keys[0].address, bad), second])
        assert not safe.accepts(digest, joined)


def test_an_approved_hash_owner(
    safe_contracts: SafeDeployment, relayer: Sender, keys: list[LocalAccount], w3: Web3,
    deployer: Any,
) -> None:  # fmt: skip
    safe = make_safe(safe_contracts, relayer, keys[:2], 2)
    digest = keccak(text="approved")
    deployer.transfer(keys[0].address, 10**18)
    owner = Sender(w3, keys[0])
    joined = combine_owner_signatures(
        [
            OwnerSignature(keys[0].address, approved_hash_signature(keys[0].address)),
            eip712(keys[1], w3, safe.address, digest),
        ]
    )
    assert not safe.accepts(digest, joined)  # not approved yet (GS025)
    safe.approve_hash(owner, keccak(text="another digest"))
    assert not safe.accepts(digest, joined)
    safe.approve_hash(owner, digest)
    assert safe.approved(keys[0].address, digest)
    assert safe.accepts(digest, joined)

    stranger = Account.create()
    with pytest.raises(InvalidInput, match=f"is not an owner of Safe {safe.address}"):
        safe.approve_hash(Sender(w3, stranger), digest)
    message_hash = safe_message_hash(w3.eth.chain_id, safe.address, digest)
    with pytest.raises(ContractLogicError, match="GS030"):
        safe.contract.functions.approveHash(message_hash).call({"from": stranger.address})


def nested_part(
    inner: SafeWallet, signers: list[LocalAccount], w3: Web3, message: bytes
) -> OwnerSignature:
    """The nested Safe's part: its owners' signatures of ``message`` in its own domain."""
    parts = [eip712(k, w3, inner.address, message) for k in signers]
    return OwnerSignature(inner.address, combine_owner_signatures(parts), contract=True)


def test_a_nested_safe_owner(
    safe_contracts: SafeDeployment, relayer: Sender, keys: list[LocalAccount], w3: Web3,
    safe_version: str,
) -> None:  # fmt: skip
    inner = make_safe(safe_contracts, relayer, keys[:2], 2)
    outer = safe_contracts.create(relayer, [inner.address, keys[2].address], 2)
    digest, chain_id = keccak(text="nested"), w3.eth.chain_id
    asked = contract_owner_message(safe_version, chain_id, outer.address, digest)
    expected = (
        safe_message_data(chain_id, outer.address, digest)
        if safe_version == "1.4.1"
        else safe_message_hash(chain_id, outer.address, digest)
    )
    assert asked == expected
    key_part = eip712(keys[2], w3, outer.address, digest)
    joined = combine_owner_signatures([nested_part(inner, keys[:2], w3, asked), key_part])
    assert outer.accepts(digest, joined)

    below = combine_owner_signatures([nested_part(inner, keys[:1], w3, asked), key_part])
    assert not outer.accepts(digest, below)
    other_version = (safe_message_hash if len(asked) > 32 else safe_message_data)(
        chain_id, outer.address, digest
    )
    wrong = combine_owner_signatures([nested_part(inner, keys[:2], w3, other_version), key_part])
    assert not outer.accepts(digest, wrong)
    # the contract part's pointer (s) moved into the static part: GS021
    pointer = (0 if int(inner.address, 16) < int(keys[2].address, 16) else 65) + 32
    inside = joined[:pointer] + (0).to_bytes(32, "big") + joined[pointer + 32 :]
    assert not outer.accepts(digest, inside)


def test_an_erc1271_wallet_owner_answering_only_bytes32(
    safe_contracts: SafeDeployment, relayer: Sender, keys: list[LocalAccount], w3: Web3,
    safe_version: str, project: Any, deployer: Any,
) -> None:  # fmt: skip
    wallet_key = Account.create()
    wallet = project.TestContractWallet.deploy(wallet_key.address, sender=deployer)
    outer = safe_contracts.create(relayer, [wallet.address, keys[0].address], 2)
    digest, chain_id = keccak(text="wallet"), w3.eth.chain_id
    message_hash = safe_message_hash(chain_id, outer.address, digest)

    def joined(key: LocalAccount) -> bytes:
        signature = bytes(Account.unsafe_sign_hash(message_hash, key.key).signature)
        part = OwnerSignature(wallet.address, signature, contract=True)
        return combine_owner_signatures([part, eip712(keys[0], w3, outer.address, digest)])

    assert outer.accepts(digest, joined(wallet_key)) is (safe_version != "1.4.1")
    assert not outer.accepts(digest, joined(keys[1]))  # not the wallet's key


def test_a_safe_owned_identity_relays_eth_sign_and_nested_safe_parts(
    citizen_registry: Any, citizens: list[Any], safe_contracts: SafeDeployment, relayer: Sender,
    keys: list[LocalAccount], chain: Any, outsider: Any, safe_version: str, w3: Web3,
) -> None:  # fmt: skip
    alice = citizens[0]
    inner = make_safe(safe_contracts, relayer, keys[:2], 2)
    outer = safe_contracts.create(relayer, [inner.address, keys[2].address], 2)
    citizen_registry.changeOwner(alice, outer.address, sender=alice)
    agent, delegate = bytes(keccak(text="veriKey")), citizens[5].address
    deadline = chain.pending_timestamp + DAY
    message = {"identity": alice.address, "delegateType": agent, "delegate": delegate,
               "validity": DAY, "owner": outer.address,
               "nonce": citizen_registry.nonces(alice), "deadline": deadline}  # fmt: skip
    digest = ADD_DELEGATE.digest(citizen_domain(chain.chain_id, citizen_registry.address), message)
    asked = contract_owner_message(safe_version, chain.chain_id, outer.address, digest)
    eth_sign = OwnerSignature(
        keys[2].address, eth_sign_safe_message(keys[2], chain.chain_id, outer.address, digest)
    )
    below = combine_owner_signatures([nested_part(inner, keys[:1], w3, asked), eth_sign])
    with ape.reverts(citizen_registry.SignatureInvalidSigner, signer=outer.address):
        citizen_registry.addDelegateSigned(alice, agent, delegate, DAY, deadline, below,
                                           sender=outsider)  # fmt: skip
    signature = combine_owner_signatures([nested_part(inner, keys[:2], w3, asked), eth_sign])
    citizen_registry.addDelegateSigned(alice, agent, delegate, DAY, deadline, signature,
                                       sender=outsider)  # fmt: skip
    assert citizen_registry.validDelegate(alice, agent, delegate)
