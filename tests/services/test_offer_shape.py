"""``open_offer`` checks the opened offer's shape at the boundary (review s31 F5): any node may
seal content to a citizen's published key, and her pages and commands read the fields without
further checks, so a missing or mistyped field is that offer's own ``ValueError`` (shown on its
card), never a ``KeyError`` deep in a page."""

from __future__ import annotations

import json
from typing import Any

import ecies
import pytest
from eth_account import Account

from govchain.node.chain import ChainAddresses, RpcChain
from govchain.services.inbox import OfferInbox
from govchain.services.watcher import _OFFER_FIELDS, OFFER_FORMAT, open_offer

KEY = Account.from_key(b"\x07" * 32)
H = "0x" + "ab" * 32
ADDRESS = "0x" + "cd" * 20
DEAD = "http://127.0.0.1:9"  # nothing is posted: the check comes first

GOOD: dict[str, Any] = {
    "format": OFFER_FORMAT,
    "offerId": H,
    "chainId": 31337,
    "caseApprovals": ADDRESS,
    "department": "CIVIL",
    "service": "elderly allowance",
    "serviceId": H,
    "ruleId": H,
    "benefit": H,
    "citizen": ADDRESS,
    "documentsHash": H,
    "stepDeadline": 1_900_000_000,
    "caseId": H,
    "consentText": "I consent.",
    "consentHash": H,
    "requirementsHash": H,
    "expires": 1_900_000_000,
}


def _sealed(content: Any) -> bytes:
    public = KEY._key_obj.public_key.to_bytes()
    return ecies.encrypt(public, json.dumps(content).encode())


def test_a_whole_offer_opens() -> None:
    assert open_offer(KEY.key, _sealed(GOOD)) == GOOD


def test_the_checked_fields_are_what_the_watcher_seals() -> None:
    assert set(_OFFER_FIELDS) == set(GOOD) - {"format"}


@pytest.mark.parametrize("name", sorted(set(GOOD) - {"format"}))
@pytest.mark.parametrize("how", ["missing", "null", "list", "wrong"])
def test_each_field_missing_or_mistyped_is_the_offers_own_error(name: str, how: str) -> None:
    content = dict(GOOD)
    if how == "missing":
        del content[name]
    else:
        wrong = "not a hex" if isinstance(GOOD[name], int) else True
        content[name] = {"null": None, "list": [GOOD[name]], "wrong": wrong}[how]
    with pytest.raises(ValueError, match=rf"the offer is malformed \({name}\)"):
        open_offer(KEY.key, _sealed(content))


@pytest.mark.parametrize("name", ["stepDeadline", "expires"])
@pytest.mark.parametrize("value", [-1, 2**40, 2**64, 1.5, True])
def test_times_are_whole_numbers_the_case_terms_can_hold(name: str, value: Any) -> None:
    """uint40, as the terms encode the step deadline (a larger one was a 500 at Accept: review
    s31, second look, R1)."""
    with pytest.raises(ValueError, match=rf"malformed \({name}\)"):
        open_offer(KEY.key, _sealed({**GOOD, name: value}))
    assert open_offer(KEY.key, _sealed({**GOOD, name: 2**40 - 1}))[name] == 2**40 - 1


def test_an_offer_for_another_chain_is_not_signed() -> None:
    chain = RpcChain(DEAD, ChainAddresses(ADDRESS, ADDRESS, ADDRESS, ADDRESS), chain_id=31337)
    inbox = OfferInbox(chain, KEY)
    with pytest.raises(ValueError, match=r"another chain \(id 1\)"):
        inbox.accept(DEAD, b"CIVIL".ljust(32, b"\0"), {**GOOD, "chainId": 1})


def test_another_format_or_another_key() -> None:
    with pytest.raises(ValueError, match="not a govchain offer"):
        open_offer(KEY.key, _sealed({**GOOD, "format": "x"}))
    with pytest.raises(ValueError, match="cannot be decrypted"):
        open_offer(b"\x08" * 32, _sealed(GOOD))
