"""The identity SDK clients used directly (no CLI), on the reference city."""

from __future__ import annotations

import pytest
from eth_abi.abi import encode
from eth_account import Account
from eth_utils.crypto import keccak

from govchain.errors import ChainRefused, InvalidInput, NotFound
from govchain.identity import Attestations, Citizens, Council, Departments
from govchain.identity.base import NoSigner, Refused, code_text, parse_roles, role_names
from govchain.identity.council import SignedApproval, approval_message, sign_approval
from govchain.identity.departments import DepartmentStatus
from govchain.identity.messages import COUNCIL_APPROVAL, attestation_uid, council_domain
from govchain.tx import Sender
from tests.cli.conftest import CityRun


def sender(city_run: CityRun, account: object) -> Sender:
    connection = city_run.platform.connection
    return Sender(connection.w3, account, connection.decoder())  # type: ignore[arg-type]


def test_roles_and_codes() -> None:
    assert parse_roles("staff,approver") == 3
    assert parse_roles(["admins", "auditor"]) == 12
    assert parse_roles("15") == 15
    assert role_names(10) == ["approver", "auditor"]
    for bad in ("", "boss", "16"):
        with pytest.raises(InvalidInput):
            parse_roles(bad)
    assert code_text(b"HRSS".ljust(32, b"\0")) == "HRSS"
    assert code_text(b"\x01" * 32) == "0x" + "01" * 32


def test_approval_signatures_match_the_council_and_count_in_any_order(
    city_run: CityRun,
) -> None:
    city = city_run.platform
    bdb, psb, hrss = (city.departments[c].admin for c in ("BDB", "PSB", "HRSS"))
    council = Council(city.connection, sender(city_run, bdb))
    call = council.actions.suspend("FINANCE")
    assert council.describe(call.target, call.data) == "suspend FINANCE"
    made = council.propose(call, council.now() + 3600)
    proposal = council.proposal(made.id)
    assert proposal.approvers == [bdb.address] and proposal.state == "open"

    # the digest built in Python is the contract's own
    generation = council.generation_of(hrss.address)
    struct_hash = keccak(
        encode(
            ["bytes32", "bytes32", "address", "bytes32", "uint64", "address", "uint256"],
            [
                COUNCIL_APPROVAL.typehash(),
                proposal.id,
                proposal.target,
                keccak(proposal.data),
                proposal.expiry,
                hrss.address,
                generation,
            ],
        )
    )
    on_chain = council.contract.functions.hashTypedData(struct_hash).call()
    domain = council_domain(city.connection.chain_id, council.address)
    message = approval_message(proposal, hrss.address, generation)
    assert COUNCIL_APPROVAL.digest(domain, message) == bytes(on_chain)

    # two signatures made offline, submitted by a non-member in one transaction
    chain_id = city.connection.chain_id
    signed = [
        sign_approval(a, chain_id, council.address, proposal, council.generation_of(a.address))
        for a in (hrss, psb)
    ]
    parsed = [SignedApproval.parse(made.id, s.token()) for s in signed]
    assert parsed == signed
    relayer = Council(city.connection, sender(city_run, city.departments["CIVIL"].staff))
    relayer.approve_by_sig(made.id, parsed)
    assert relayer.proposal(made.id).approvals == 3
    relayer.execute(made.id)
    assert Departments(city.connection).status("FINANCE") == DepartmentStatus.SUSPENDED


def test_the_preflight_explains_a_refusal_in_plain_words(city_run: CityRun) -> None:
    city = city_run.platform
    departments = Departments(city.connection, sender(city_run, city.departments["HRSS"].admin))
    with pytest.raises(ChainRefused, match="roles 16 are not a combination"):
        departments.add_member(Account.create().address, 16)
    with pytest.raises(Refused, match=r"offered .* no membership"):
        Departments(city.connection, sender(city_run, city.departments["CIVIL"].staff)).accept(
            "HRSS"
        )
    # a refusal found by the SDK's own checks sends nothing either
    admin = city.departments["HRSS"].admin.address
    with pytest.raises(Refused, match=f"{admin} is the last ADMIN of HRSS"):
        departments.remove_member(admin)
    with pytest.raises(Refused, match="last ADMIN"):
        departments.set_member_roles(admin, 1)


def test_reads_need_no_key_and_writes_say_so(city_run: CityRun) -> None:
    city = city_run.platform
    departments = Departments(city.connection)
    assert departments.department("PSB").status == DepartmentStatus.ACTIVE
    with pytest.raises(NotFound):
        departments.department("NOSUCH")
    with pytest.raises(NoSigner, match="--key"):
        departments.set_endpoint("http://x.example")
    citizens = Citizens(city.connection)
    someone = Account.create().address
    assert citizens.owner(someone) == someone and citizens.delegates(someone) == []
    attestations = Attestations(city.connection)
    with pytest.raises(NotFound):
        attestations.schema(b"\1" * 32)
    assert attestations.about(someone) == []


def test_attestation_uid_matches_the_event(city_run: CityRun) -> None:
    city = city_run.platform
    psb = city.departments["PSB"]
    admin = Attestations(city.connection, sender(city_run, psb.admin))
    schema = admin.register_schema(keccak(text="X(bytes32 c)"), 1).uid
    staff = Attestations(city.connection, sender(city_run, psb.staff))
    citizen = Account.create().address
    made = staff.attest(citizen, schema, b"\x42" * 32)
    found = staff.about(citizen)
    assert [a.uid for a in found] == [made.uid]
    block = city.connection.w3.eth.get_block(made.sent.block)
    assert made.uid == attestation_uid(
        schema,
        citizen,
        psb.staff.address,
        b"PSB".ljust(32, b"\0"),
        b"\x42" * 32,
        0,
        b"\0" * 32,
        int(block["timestamp"]),
    )
