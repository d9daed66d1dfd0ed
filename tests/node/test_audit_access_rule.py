"""The access audit asks the contract's rule (AccessGrants.accessStatus), not its own copy.

The old audit counted any category as covered once a grant named its owner; the contract also
requires the category to be the owner's own, not sensitive and still shared. An access record
the contract would have refused (as a forged deployment could emit) is now a finding.
"""

from __future__ import annotations

from typing import Any

from govchain.audit.access import GrantTerms, TrailEntry, _check, statuses_before
from govchain.node.chain import RpcChain
from govchain.sharing import grant_id, grant_tuple
from govchain.sharing.status import AccessStatus
from tests.node.conftest import BANK, CIVIL, HRSS, PENSION
from tests.sharing.conftest import PURPOSE, REQUEST, make_terms


def _entry(terms: dict[str, Any], category: bytes, member: str, block: int) -> TrailEntry:
    g = GrantTerms(
        grant_id(terms), terms["subject"], terms["grantee"], terms["owner"],
        tuple(terms["categories"]), terms["purposeHash"], int(terms["basis"]),
        terms["validFrom"], terms["validUntil"], terms["maxUses"], terms["nonce"],
        terms["subject"], block - 1,
    )  # fmt: skip
    return TrailEntry(
        block=block, timestamp=terms["validFrom"] + 10, tx_hash="0x" + "00" * 32,
        member=member, grantee=terms["grantee"], owner=terms["owner"], category=category,
        purpose_hash=PURPOSE, request_hash=REQUEST, grant_id=grant_id(terms), grant=g,
    )  # fmt: skip


def test_owner_wide_grant_does_not_cover_a_sensitive_category_in_the_audit(
    reader: RpcChain, grants: Any, citizens: list[Any], depts: Any, chain: Any, cats: Any
) -> None:
    alice, staff = citizens[0], depts["CIVIL"].staff
    now = int(chain.pending_timestamp)
    terms = make_terms(alice, CIVIL, HRSS, [HRSS], now, nonce=4242)  # owner-wide
    grants.grant(grant_tuple(terms), sender=alice)
    chain.mine()
    block = int(chain.blocks.head.number) + 1  # an access "recorded" in the next block
    sensitive = _entry(terms, BANK, staff.address, block)
    covered = _entry(terms, PENSION, staff.address, block)
    entries = [sensitive, covered]
    statuses = statuses_before(reader, entries)
    assert statuses == {0: AccessStatus.NOT_COVERED, 1: AccessStatus.LIVE}
    for i, entry in enumerate(entries):
        _check(entry, alice.address, statuses[i])
    # the old rule ("the grant names its owner") passed the sensitive category; the contract's
    # rule does not
    assert sensitive.problems and "NOT_COVERED" in sensitive.problems[0]
    assert covered.problems == []


def test_a_member_without_staff_role_is_a_finding(
    reader: RpcChain, grants: Any, citizens: list[Any], depts: Any, chain: Any, cats: Any
) -> None:
    alice, stranger = citizens[0], depts["HRSS"].staff
    now = int(chain.pending_timestamp)
    terms = make_terms(alice, CIVIL, HRSS, [PENSION], now, nonce=4243)
    grants.grant(grant_tuple(terms), sender=alice)
    chain.mine()
    entry = _entry(terms, PENSION, stranger.address, int(chain.blocks.head.number) + 1)
    statuses = statuses_before(reader, [entry])
    assert statuses == {0: AccessStatus.NOT_STAFF}
    _check(entry, alice.address, statuses[0])
    assert entry.problems and "NOT_STAFF" in entry.problems[0]
