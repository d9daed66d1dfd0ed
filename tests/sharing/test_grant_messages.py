"""govchain.sharing.messages matches AccessGrants byte for byte."""

from __future__ import annotations

from typing import Any

from eth_abi.abi import encode
from eth_utils.crypto import keccak

from govchain.sharing import (
    GRANT,
    GRANT_CONSENT,
    LegalBasis,
    category_code,
    consent_message,
    grant_id,
    grant_tuple,
)
from tests.sharing.conftest import make_terms


def test_typehash_constants_match(grants: Any) -> None:
    assert grants.GRANT_TYPEHASH() == GRANT.typehash()
    assert grants.CONSENT_TYPEHASH() == GRANT_CONSENT.typehash()
    assert (
        GRANT_CONSENT.type_string()
        == "GrantConsent(Grant grant,address signer,uint256 deadline)" + GRANT.type_string()
    )


def test_grant_id_and_consent_digest_match_the_contract(
    grants: Any, grants_domain: Any, citizens: list[Any], depts: Any
) -> None:
    cats = [category_code("HRSS.PENSION"), category_code("HRSS.BANK_ACCOUNT")]
    for basis, max_uses, nonce in (
        (LegalBasis.CONSENT, 0, 0),
        (LegalBasis.STATUTORY_DUTY, 5, 2**200),
    ):
        terms = make_terms(
            citizens[4], depts["CIVIL"].code, depts["HRSS"].code, cats, 1_800_000_000, basis=basis,
            max_uses=max_uses, nonce=nonce,
        )  # fmt: skip
        gid = grant_id(terms)
        assert grants.grantIdOf(grant_tuple(terms)) == gid
        deadline = 1_900_000_000
        struct_hash = keccak(
            encode(
                ["bytes32", "bytes32", "address", "uint256"],
                [GRANT_CONSENT.typehash(), gid, citizens[4].address, deadline],
            )
        )
        digest = GRANT_CONSENT.digest(
            grants_domain, consent_message(terms, citizens[4].address, deadline)
        )
        assert grants.hashTypedData(struct_hash) == digest
        # the grant id is itself the EIP-712 struct hash of the Grant message
        assert GRANT.digest(
            grants_domain, consent_message(terms, citizens[4].address, 0)["grant"]
        ) == grants.hashTypedData(gid)
