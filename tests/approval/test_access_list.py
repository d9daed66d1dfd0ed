"""The EIP-2930 access list the SDK sends with ``submitDecisions``
(:mod:`govchain.approval.access`): its slots are the ``DepartmentRegistry``'s member words and
department status, and declaring them makes a decision 100 gas cheaper per signer, per
department and for the registry, with the same checks and the same outcome."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from eth_typing import HexStr
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import Web3
from web3.types import Wei

from govchain.approval.access import decision_access_list, department_status_slot, member_slot
from govchain.toolchain.devnet import Devnet, DevnetConfig, free_port
from govchain.tx import Sender
from tests.approval.conftest import Desk, h

ACTIVE = 2


def _word(chain: Any, address: str, slot: bytes) -> int:
    return int.from_bytes(chain.provider.web3.eth.get_storage_at(address, slot), "big")


def test_the_listed_slots_are_the_registrys_member_words_and_department_status(
    departments: Any, depts: Any, chain: Any, outsider: Any
) -> None:
    hrss = depts["HRSS"]
    for key in [*hrss.approvers, hrss.staff]:
        code, roles, active = departments.memberOf(key)
        assert active and roles
        word = _word(chain, departments.address, member_slot(key.address))
        assert word == int.from_bytes(bytes(code), "big") | roles
    assert _word(chain, departments.address, member_slot(outsider.address)) == 0
    status = _word(chain, departments.address, department_status_slot(hrss.code)) & 0xFF
    assert status == departments.departmentStatus(hrss.code) == ACTIVE


def test_a_department_code_is_32_bytes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        department_status_slot(b"HRSS")


def test_each_slot_is_listed_once_per_transaction(depts: Any) -> None:
    hrss, dpf = depts["HRSS"], depts["DPF"]
    a = hrss.approvers[0].address
    [entry] = decision_access_list("0x" + "11" * 20, [(hrss.code, [a]), (hrss.code, [a])])
    assert entry["storageKeys"] == [
        "0x" + department_status_slot(hrss.code).hex(),
        "0x" + member_slot(a).hex(),
    ]
    [entry] = decision_access_list("0x" + "11" * 20, [(hrss.code, [a]), (dpf.code, [])])
    assert len(entry["storageKeys"]) == 3


@pytest.mark.parametrize("k", [1, 3])
def test_the_access_list_saves_100_gas_per_signer_department_and_registry(
    approvals: Any,
    desk: Desk,
    depts: Any,
    citizens: Any,
    outsider: Any,
    departments: Any,
    chain: Any,
    k: int,
) -> None:
    """The same transaction data with and without the list: the listed registry (2,400, then a
    warm call 100) costs 100 less than a cold one (2,600), each listed slot (1,900, then a warm
    read 100) 100 less than a cold read (2,100); the decision and its event are the same."""
    hrss = depts["HRSS"]
    signers = sorted(hrss.approvers[:k], key=lambda a: int(a.address, 16))
    terms = desk.terms([("HRSS", k), ("FINANCE", 1)], citizen=citizens[0], documents=h(f"al{k}"))
    cid = desk.open(terms)
    decision = desk.step_decision(cid, 0, signers)
    listed = decision_access_list(departments.address, [(hrss.code, [a.address for a in signers])])
    with chain.isolate():
        cold = desk.submit(cid, terms, [decision], sender=outsider)
    warm = desk.submit(cid, terms, [decision], sender=outsider, access_list=listed)
    assert bytes(cold.transaction.data) == bytes(warm.transaction.data)
    assert int(cold.gas_used) - int(warm.gas_used) == 100 * (k + 2)
    for receipt in (cold, warm):
        [log] = receipt.decode_logs(approvals.StepDecided)
        assert list(log.signers) == [a.address for a in signers]
    assert approvals.caseOf(cid).currentStep == 1


def test_a_legacy_priced_sender_sends_the_list_as_a_type_1_transaction(
    approvals: Any,
    desk: Desk,
    depts: Any,
    citizens: Any,
    departments: Any,
    deployer: Any,
    chain: Any,
) -> None:
    """The consortium path prices a transaction with ``gasPrice`` (0 on a chain without a base
    fee): with the access list the SDK's :class:`~govchain.tx.Sender` signs an EIP-2930 (type 1)
    transaction, which the node takes and mines."""
    w3 = chain.provider.web3
    key = Account.from_key(keccak(text="access list legacy sender"))
    deployer.transfer(key.address, 10**18)
    hrss = depts["HRSS"]
    terms = desk.terms([("HRSS", 1), ("FINANCE", 1)], citizen=citizens[0], documents=h("type1"))
    cid = desk.open(terms)
    signer = hrss.approvers[0]
    data = approvals.submitDecisions.encode_input(
        cid, terms.as_tuple(), [desk.step_decision(cid, 0, [signer])]
    )
    base_fee = int(w3.eth.get_block("latest").get("baseFeePerGas") or 0)
    receipt = Sender(w3, key).send(
        {
            "to": approvals.address,
            "data": HexStr("0x" + bytes(data).hex()),
            "gasPrice": Wei(2 * base_fee),
            "accessList": decision_access_list(
                departments.address, [(hrss.code, [signer.address])]
            ),
        }
    )
    assert receipt["status"] == 1
    sent = w3.eth.get_transaction(receipt["transactionHash"])
    assert int(sent["type"]) == 1 and sent["accessList"]
    assert approvals.caseOf(cid).currentStep == 1


def test_a_zero_fee_chain_mines_the_list_at_gas_price_zero() -> None:
    """On a consortium-style chain (no base fee, gas metered not paid) a key with no balance
    sends the SDK's list in a type-1 transaction at ``gasPrice`` 0, and it is mined."""
    with Devnet(DevnetConfig(port=free_port(), zero_fee=True, chain_id=1337)) as devnet:
        w3 = Web3(Web3.HTTPProvider(devnet.url))
        key = Account.create()
        registry = "0x" + "22" * 20
        listed = decision_access_list(registry, [(b"HRSS".ljust(32, b"\0"), [key.address])])
        receipt = Sender(w3, key).send({"to": registry, "value": Wei(0), "accessList": listed})
        assert receipt["status"] == 1
        sent = w3.eth.get_transaction(receipt["transactionHash"])
        assert int(sent["type"]) == 1 and int(sent["gasPrice"]) == 0
        assert [bytes(HexBytes(k)) for k in sent["accessList"][0]["storageKeys"]] == [
            bytes.fromhex(k[2:]) for k in listed[0]["storageKeys"]
        ]
