"""Node and audit code read events through the compiled ABIs (the indexer's decoder)."""

from __future__ import annotations

import pytest
from eth_abi.abi import encode
from eth_account import Account

from govchain import events
from govchain.errors import NotFound
from govchain.node.chain import ACCESS_RECORDED_TOPIC, parse_access_record
from govchain.sharing.merkle import keccak256


def test_topics_come_from_the_abi_and_match_the_contract_signatures() -> None:
    assert (
        keccak256(
            b"AccessRecorded(address,bytes32,bytes32,bytes32,bytes32,address,bytes32,bytes32)"
        )
        == ACCESS_RECORDED_TOPIC
    )
    assert events.topic("AccessGrants", "GrantRevoked") == keccak256(
        b"GrantRevoked(bytes32,address)"
    )
    with pytest.raises(NotFound, match=r"AccessGrants\.Nope"):
        events.spec("AccessGrants", "Nope")


def test_an_access_record_log_decodes_by_name() -> None:
    subject, member = Account.create().address, Account.create().address
    owner, grantee, category = b"HRSS".ljust(32, b"\0"), b"CIVIL".ljust(32, b"\0"), b"\7" * 32
    log = {
        "topics": [
            "0x" + ACCESS_RECORDED_TOPIC.hex(),
            "0x" + bytes(12).hex() + subject[2:].lower(),
            "0x" + owner.hex(),
            "0x" + grantee.hex(),
        ],
        "data": "0x"
        + encode(
            ["bytes32", "bytes32", "address", "bytes32", "bytes32"],
            [category, b"\1" * 32, member, b"\2" * 32, b"\3" * 32],
        ).hex(),
    }
    record = parse_access_record(log)
    assert record.subject == subject and record.member == member
    assert (record.owner, record.grantee, record.category) == (owner, grantee, category)
    assert (record.purpose_hash, record.request_hash, record.grant_id) == (
        b"\1" * 32,
        b"\2" * 32,
        b"\3" * 32,
    )
