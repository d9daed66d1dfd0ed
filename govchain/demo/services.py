"""The demo's chapters on services: instant approval (秒批) and proactive service (免申即享).

Both go through the SDK they demonstrate: :class:`~govchain.services.rulebook.Rulebook` and
:class:`~govchain.services.catalog.Catalog` (approvers sign, staff relays),
:class:`~govchain.services.watcher.Watcher` over :mod:`govchain.indexer`, the citizen's
:class:`~govchain.services.inbox.OfferInbox` against CIVIL's data node process.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import coincurve
from eth_account import Account
from eth_utils.crypto import keccak
from web3.logs import DISCARD

from govchain.audit.privacy import scan_chain
from govchain.demo.common import DemoFailure
from govchain.deploy import department_code
from govchain.identity.messages import salted_hash, schema_uid
from govchain.indexer import Indexer, RpcLogSource, contracts_from_manifest, open_database
from govchain.node.publisher import canonical_json
from govchain.reference import ROLE_APPROVER, ROLE_STAFF
from govchain.services.catalog import Catalog, service_id
from govchain.services.inbox import OfferInbox
from govchain.services.offerbox import OfferBox
from govchain.services.rulebook import Rulebook
from govchain.services.rules import Requirement, name_code, rule_id
from govchain.services.watcher import Watcher
from govchain.sharing.merkle import new_salt

if TYPE_CHECKING:
    from govchain.demo.scenario import Scenario

YEAR = 365 * 24 * 3600
CIVIL = department_code("CIVIL")
PSB = department_code("PSB")
#: The ERC-1056 attribute that publishes a key to encrypt to (did:ethr keyAgreement).
ENC_KEY = b"did/pub/Secp256k1/enc/hex".ljust(32, b"\0")


def _short(value: bytes | str) -> str:
    text = value if isinstance(value, str) else "0x" + value.hex()
    return text[:10] + "…"


def _schema(s: Scenario, fields: str, roles: int) -> bytes:
    registry = s.contract("AttestationRegistry")
    fields_hash = bytes(keccak(text=fields))
    zero = b"\0" * 32
    tx, _ = s.send(
        s.dept("BDB").admin, registry.functions.registerSchema(fields_hash, roles, zero, True)
    )
    uid = schema_uid(fields_hash, roles, zero, True)
    s.say.did(f"schema {fields.split('(')[0]} {_short(uid)}", tx)
    return uid


def _attest(s: Scenario, subject: str, schema: bytes, fact: dict[str, Any]) -> bytes:
    """A PSB STAFF attestation of ``fact`` as a salted commitment (the fact stays off chain)."""
    registry = s.contract("AttestationRegistry")
    commitment = salted_hash(new_salt(), canonical_json(fact))
    tx, receipt = s.send(
        s.dept("PSB").staff,
        registry.functions.attest(subject, schema, commitment, 0, b"\0" * 32),
    )
    uid = bytes(
        registry.events.Attested().process_receipt(receipt, errors=DISCARD)[0]["args"]["uid"]
    )
    s.say.did(f"PSB attested {next(iter(fact))} for {_short(subject)}: {_short(uid)}", tx)
    return uid


def instant_approval_chapter(s: Scenario) -> None:
    s.say.chapter(
        "Instant approval (秒批)",
        "Civil Affairs' approvers register a rule — aged 60 or over and resident, both attested "
        "by Public Security within a year — and a service granting the elderly allowance on it. "
        "A case decided by the rule is opened, decided and its allowance issued in the same "
        "transaction: nobody decides again what the owning department already attested.",
    )
    schemas = {
        "age": _schema(s, "AgedOver60(bytes32 commitment)", ROLE_STAFF),
        "residence": _schema(s, "ResidentOfCity(bytes32 commitment)", ROLE_STAFF),
        "allowance": _schema(s, "ElderlyAllowance(bytes32 caseId)", ROLE_APPROVER),
    }
    civil = s.dept("CIVIL")
    book = Rulebook(s.connection, s.sender(civil.staff))
    requirements = [
        Requirement(schemas["age"], YEAR, (PSB,)),
        Requirement(schemas["residence"], YEAR, (PSB, CIVIL)),
    ]
    until = s.now() + 86400
    name = name_code("elderly")
    signed = [
        book.sign(a, "register", CIVIL, name, until, requirements) for a in civil.approvers[:2]
    ]
    receipt = book.relay(signed)
    rid = rule_id(CIVIL, name)
    s.say.did(
        f"rule CIVIL/elderly v1 {_short(rid)}: 2 approvers' EIP-712 signatures, relayed by staff",
        receipt["transactionHash"].to_0x_hex(),
    )
    catalog = Catalog(s.connection, s.sender(civil.staff))
    sname = name_code("elderly-allowance")
    sigs = [
        catalog.sign(a, CIVIL, sname, until, rid, schemas["allowance"]) for a in civil.approvers[:2]
    ]
    receipt = catalog.relay(CIVIL, sname, until, sigs, rid, schemas["allowance"])
    s.say.did(
        "service CIVIL/elderly-allowance: rule elderly grants ElderlyAllowance",
        receipt["transactionHash"].to_0x_hex(),
    )
    neighbour = Account.create()
    for key in ("age", "residence"):
        _attest(s, neighbour.address, schemas[key], {key: True, "checked": "household register"})
    before = s.connection.w3.eth.block_number
    case_id, receipt = book.open_by_rule(
        neighbour.address, [rid], CIVIL, schema=schemas["allowance"]
    )
    blocks = int(receipt["blockNumber"]) - before
    state = book.cases.state(case_id, history=False)
    s.say.did(
        f"a neighbour's allowance case {_short(case_id)} opened, decided by the rule and the "
        f"allowance issued: 1 transaction, {blocks} block, {int(receipt['gasUsed']):,} gas",
        receipt["transactionHash"].to_0x_hex(),
    )
    s.summary["instant_approval"] = {
        "case": "0x" + case_id.hex(),
        "status": state.status.name,
        "transactions": 1,
        "blocks": blocks,
        "gas": int(receipt["gasUsed"]),
    }
    s.services = {"schemas": schemas, "rule": rid, "service": service_id(CIVIL, sname)}


def proactive_service_chapter(s: Scenario) -> None:
    s.say.chapter(
        "Proactive service (免申即享)",
        "The citizen (born 1952) never applies. Civil Affairs' eligibility watcher reads the "
        "index, finds that she now satisfies the elderly-allowance rule, and seals the offer to "
        "her key in Civil Affairs' data node: nothing about it goes on chain. She lists it from "
        "home and accepts with one signature; Civil Affairs relays it and pays.",
    )
    w3 = s.connection.w3
    schemas = s.services["schemas"]
    citizen = s.citizen
    public = coincurve.PrivateKey(citizen.key).public_key.format(compressed=True)
    registry = s.contract("CitizenRegistry")
    tx, _ = s.send(citizen, registry.functions.setAttribute(citizen.address, ENC_KEY, public, YEAR))
    s.say.did("the citizen published her encryption key once (ERC-1056 did/pub/…/enc)", tx)
    for key in ("age", "residence"):
        _attest(s, citizen.address, schemas[key], {key: True, "checked": "identity card"})

    deployment = s.connection.deployment
    index = open_database(s.workdir / "index.db")
    watched = contracts_from_manifest(
        {n: c.address for n, c in deployment.contracts.items()},
        {n: c.block for n, c in deployment.contracts.items()},
    )
    Indexer(index, RpcLogSource(s.devnet.url), watched, confirmations=0).sync()
    civil = s.dept("CIVIL")
    box = OfferBox(s.db_url("CIVIL"))
    watcher = Watcher(s.connection, index, box, CIVIL, s.sender(civil.staff))
    head = w3.eth.block_number
    report = watcher.watch()
    # a chain with a block interval seals (empty) blocks meanwhile: count transactions instead
    sent = sum(
        len(w3.eth.get_block(n)["transactions"]) for n in range(head + 1, w3.eth.block_number + 1)
    )
    if len(report.offered) != 1 or sent:
        raise DemoFailure(f"the watcher should offer one service off chain: {report.as_dict()}")
    s.say.did(
        f"the watcher found {report.candidates} eligible citizen(s) and sealed 1 offer in CIVIL's "
        "node (ECIES to her key); transactions sent: 0"
    )
    rerun = watcher.watch()
    s.say.note(f"a second run offers nothing new ({rerun.already} already offered)")

    inbox = OfferInbox(s.reader(), citizen)
    url = s.nodes["CIVIL"].url
    [held] = inbox.list_offers(url, CIVIL)
    assert held.content is not None
    s.say.did(f"she lists her offers at CIVIL's node: {held.content['service']} ({held.state})")
    s.say.note(f"consent: {held.content['consentText']}")
    balance = w3.eth.get_balance(citizen.address)
    started = time.monotonic()
    inbox.accept(url, CIVIL, held.content)
    start = w3.eth.block_number
    relayed = watcher.relay()
    seconds = round(time.monotonic() - started, 2)
    [done] = relayed.accepted
    blocks = int(done["block"]) - start  # from the block she signed at to the benefit's
    s.say.did(
        f"her one signature, relayed by CIVIL: case {_short(done['case_id'])} opened, decided and "
        f"the allowance issued in {len(relayed.accepted)} transaction, {blocks} block, "
        f"{seconds} s; she paid {balance - w3.eth.get_balance(citizen.address)} wei",
        done["tx_hash"],
    )
    # the offer id and the sealed offer never reach the chain (the consent text's hash does:
    # it is the fixed text of the service, the same for everyone, signed in her acceptance)
    leaked = scan_chain(w3, [held.offer_id], from_block=head)
    if leaked:
        raise DemoFailure(f"the offer reached the chain: {leaked}")
    s.say.note("the chain holds no offer: only her accepted case, public as any case is")
    s.summary["proactive_service"] = {
        "offers": len(report.offered),
        "transactions_before_acceptance": sent,
        "transactions": len(relayed.accepted),
        "blocks": blocks,
        "seconds": seconds,
        "case": done["case_id"],
        "citizen_paid_wei": balance - w3.eth.get_balance(citizen.address),
    }
