"""The reference scenario, chapter by chapter, with the real SDK, data nodes and CLI.

Each chapter is a method of :class:`Scenario`; they run in order on one devnet and one working
folder (keystores, the manifest, each department's SQLite store, the nodes' logs).
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import Nonce, Wei

from govchain.demo import audit_chapters, casework, persona, services
from govchain.demo.common import (
    ACTIVE,
    CATALOG,
    CONTENTS,
    DAY,
    HOLDINGS,
    LATE_DEPARTMENT,
    NODES,
    OTHER_PENSIONERS,
    PASSPHRASE,
    DemoFailure,
    Holding,
    label,
    short,
)
from govchain.demo.narrator import Narrator
from govchain.demo.nodes import NodeProcess, run_cli
from govchain.deploy import department_code
from govchain.eip712 import Domain
from govchain.identity.messages import (
    COUNCIL_APPROVAL,
    council_domain,
    salted_hash,
    schema_uid,
)
from govchain.keystore import Keystore
from govchain.network import Connection
from govchain.node.anchors import ChainAnchorSink
from govchain.node.chain import ChainAddresses, RpcChain
from govchain.node.client import CitizenClient, DataNodeClient
from govchain.node.publisher import AnchorWorker, Publisher, canonical_json
from govchain.node.store import BATCH, Store, sqlite_url
from govchain.reference import (
    COUNCIL,
    ROLE_STAFF,
    City,
    DepartmentKeys,
    build_city,
    staff,
)
from govchain.sharing import LegalBasis, category_code
from govchain.sharing.merkle import new_salt
from govchain.sharing.messages import GRANT_CONSENT, consent_message, grant_id, grant_tuple
from govchain.sharing.purposes import PurposeBook, commit_purpose
from govchain.toolchain.devnet import Devnet, free_port, rpc
from govchain.toolchain.ethereumjs import EthereumJSNode
from govchain.tx import Sender, encode_call


@dataclass
class Scenario:
    devnet: Devnet | EthereumJSNode
    workdir: Path
    say: Narrator
    city: City | None = None
    nodes: dict[str, NodeProcess] = field(default_factory=dict)
    citizen: LocalAccount = field(default_factory=Account.create)
    grants: dict[str, dict[str, Any]] = field(default_factory=dict)
    fetched: dict[str, bytes] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    services: dict[str, Any] = field(default_factory=dict)
    _funder: Sender | None = None
    _funder_nonce: int = 0

    # --- plumbing ----------------------------------------------------------------------------

    @property
    def home(self) -> Path:
        return self.workdir / "home"

    @property
    def platform(self) -> City:
        assert self.city is not None, "the platform is deployed in chapter 1"
        return self.city

    @property
    def connection(self) -> Connection:
        return self.platform.connection

    def dept(self, code: str) -> DepartmentKeys:
        return self.platform.departments[code]

    def contract(self, name: str) -> Contract:
        return self.connection.contract(name)

    def sender(self, account: LocalAccount) -> Sender:
        return Sender(self.connection.w3, account, self.connection.decoder(), poll_latency=0.02)

    def send(self, account: LocalAccount, call: Any) -> tuple[str, Any]:
        receipt = self.sender(account).transact(call)
        return receipt["transactionHash"].to_0x_hex(), receipt

    def fund(self, address: str, wait: bool = True) -> None:
        """Gas money: anvil sets the balance; on a real client a prefunded key sends it (without
        waiting when ``wait`` is false: the next blocks include it long before it is used)."""
        if isinstance(self.devnet, Devnet):
            rpc(self.devnet.url, "anvil_setBalance", [address, hex(10**21)])
            return
        funder = self.devnet.keys[1]  # keys[0] seals; a second key keeps its own nonce here
        if self._funder is None:
            self._funder = Sender(self.connection_for_funding(), funder, poll_latency=0.2)
            self._funder_nonce = int(
                self._funder.w3.eth.get_transaction_count(funder.address, "latest")
            )
        tx_hash, built = self._funder.submit(
            {"to": address, "value": Wei(10**21), "nonce": Nonce(self._funder_nonce)},
            preflight=False,
        )
        self._funder_nonce += 1
        if wait:
            self._funder.wait(tx_hash, built)

    def connection_for_funding(self) -> Web3:
        return Connection.open(self.devnet.url, self.home).w3

    def now(self) -> int:
        return int(self.connection.w3.eth.get_block("latest")["timestamp"])

    def addresses(self) -> ChainAddresses:
        return ChainAddresses.from_names(
            {n: c.address for n, c in self.platform.report.deployment.contracts.items()}
        )

    def reader(self) -> RpcChain:
        return RpcChain(self.devnet.url, self.addresses(), chain_id=self.connection.chain_id)

    def db_url(self, code: str) -> str:
        return sqlite_url(self.workdir / f"{code.lower()}.db")

    def cli(self, *args: str, key: str | None = None) -> tuple[int, Any]:
        return run_cli(self.devnet.url, self.home, PASSPHRASE, *args, key=key)

    # --- the chapters --------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        for chapter in (
            self.platform_chapter,
            self.admission_chapter,
            self.catalog_chapter,
            self.identity_chapter,
            self.publish_chapter,
            self.nodes_chapter,
            self.data_space_chapter,
            self.consent_chapter,
            self.fetch_chapter,
        ):
            chapter()
        for later in (
            casework.approval_chapter,
            services.instant_approval_chapter,
            services.proactive_service_chapter,
            casework.trail_chapter,
            audit_chapters.tamper_chapter,
            audit_chapters.revoke_chapter,
            audit_chapters.privacy_chapter,
        ):
            later(self)
        return self.summary

    def platform_chapter(self) -> None:
        self.say.chapter(
            "The platform",
            "The Big Data Bureau deploys the contracts; the council (Big Data Bureau, Public "
            "Security, HRSS; 2 of 3) governs which departments take part. Six departments found "
            "the platform; each ADMIN adds its staff, approvers and auditor.",
        )
        connection = Connection.open(self.devnet.url, self.home)
        deployer = Account.create()
        self.fund(deployer.address)
        self.city = build_city(
            connection,
            deployer,
            lambda address: self.fund(address, wait=False),
            keystore=Keystore(self.home, kdf="pbkdf2", iterations=1000),
            passphrase=PASSPHRASE,
            join_later=(LATE_DEPARTMENT,),
        )
        deployment = self.city.report.deployment
        for name, entry in deployment.contracts.items():
            self.say.did(f"{name} deployed at {entry.address}", entry.tx_hash)
        for wiring in self.city.report.wired:
            self.say.note(wiring)
        founders = [k.info for k in self.city.departments.values() if k.info.code != "DPF"]
        self.say.table(
            "Founding departments",
            ["code", "department", "region (GB/T 2260)"],
            [[i.code, f"{i.name} {i.name_zh}", str(i.region)] for i in founders],
        )
        self.say.note(f"deployment manifest: {self.city.report.manifest}")
        self.summary["contracts"] = {n: c.address for n, c in deployment.contracts.items()}

    def admission_chapter(self) -> None:
        dpf = self.dept(LATE_DEPARTMENT)
        self.say.chapter(
            "A department joins with one on-chain admission",
            "The Disabled Persons' Federation proposes itself; a council member proposes to "
            "admit it, a second member approves by an EIP-712 signature collected off chain, and "
            "the admission executes. No bespoke adaptation: every member can now discover it.",
        )
        registry = self.contract("DepartmentRegistry")
        council = self.contract("Council")
        code = department_code(LATE_DEPARTMENT)
        tx, _ = self.send(
            dpf.admin,
            registry.functions.propose(
                code, dpf.info.name, dpf.info.region, "", b"\0" * 32, dpf.admin.address
            ),
        )
        self.say.did(f"{LATE_DEPARTMENT} proposed itself (status Proposed)", tx)
        proposer = self.dept(COUNCIL[0]).admin
        data = encode_call(registry.functions.admit(code))
        expiry = self.now() + 3 * DAY
        tx, receipt = self.send(proposer, council.functions.propose(registry.address, data, expiry))
        proposal = council.events.ProposalCreated().process_receipt(receipt, errors=DISCARD)[0][
            "args"
        ]["id"]
        self.say.did(
            f"council member {COUNCIL[0]} proposed admit({LATE_DEPARTMENT}), proposal {short(proposal)}",
            tx,
        )
        second = self.dept(COUNCIL[1]).admin
        message = {
            "proposalId": proposal,
            "target": registry.address,
            "data": bytes.fromhex(data[2:]),
            "expiry": expiry,
            "member": second.address,
            "generation": council.functions.generationOf(second.address).call(),
        }
        signature = COUNCIL_APPROVAL.sign(
            second.key, council_domain(self.connection.chain_id, council.address), message
        )
        self.say.note(
            f"{COUNCIL[1]}'s admin signed the approval off chain (no transaction, no gas)"
        )
        tx, _ = self.send(
            proposer, council.functions.approveBySig(proposal, [second.address], [signature])
        )
        self.say.did("the signature was relayed: 2 of 3 council approvals", tx)
        tx, _ = self.send(proposer, council.functions.execute(proposal))
        if registry.functions.departmentStatus(code).call() != ACTIVE:
            raise DemoFailure(f"{LATE_DEPARTMENT} is not Active after its admission")
        self.say.did(f"admission executed: {LATE_DEPARTMENT} is Active", tx)
        staffed = staff(self.connection, dpf)
        self.say.did(
            f"{LATE_DEPARTMENT}'s admin offered staff, 3 approvers and an auditor their roles; "
            "each key accepted",
            staffed[-1],
            transactions=len(staffed),
        )

    def catalog_chapter(self) -> None:
        self.say.chapter(
            "Data catalogs",
            "Each owner's ADMIN lists its data categories with the national sharing class "
            "(无条件共享 / 有条件共享 / 不予共享) and whether it is sensitive (PIPL art. 28).",
        )
        catalog = self.contract("AnchorRegistry")
        for owner, name, sharing, sensitive, cycle in CATALOG:
            schema = keccak(text=f"govchain.schema:{name}:v1")
            tx, _ = self.send(
                self.dept(owner).admin,
                catalog.functions.registerCategory(
                    category_code(name), int(sharing), sensitive, schema, cycle
                ),
            )
            flag = ", sensitive" if sensitive else ""
            self.say.did(
                f"{owner} lists {name} ({sharing.name.lower().replace('_', ' ')}{flag})", tx
            )

    def identity_chapter(self) -> None:
        self.say.chapter(
            "The citizen's identity and her real-name attestation",
            "The citizen's identity is her own key (no registration: an address owns itself "
            "until she rotates it). Public Security attests that it verified her real name; "
            "the chain holds only a salted commitment, never her name or ID number.",
        )
        keystore = Keystore(self.home, kdf="pbkdf2", iterations=1000)
        keystore.new("citizen", PASSPHRASE, private_key=self.citizen.key)
        self.fund(self.citizen.address)
        citizens = self.contract("CitizenRegistry")
        owner = citizens.functions.identityOwner(self.citizen.address).call()
        self.say.did(
            f"identity {self.citizen.address} (owner {owner}), key in an encrypted keystore"
        )
        attestations = self.contract("AttestationRegistry")
        psb = self.dept("PSB")
        fields = keccak(text="RealNameVerified(bytes32 commitment)")
        psb_code = department_code("PSB")
        tx, _ = self.send(
            psb.admin, attestations.functions.registerSchema(fields, ROLE_STAFF, psb_code, True)
        )
        schema = schema_uid(fields, ROLE_STAFF, psb_code, True)
        self.say.did(f"PSB registered the schema RealNameVerified {short(schema)}", tx)
        salt = new_salt()
        commitment = salted_hash(salt, canonical_json(persona.identity_card()))
        tx, receipt = self.send(
            psb.staff,
            attestations.functions.attest(self.citizen.address, schema, commitment, 0, b"\0" * 32),
        )
        uid = attestations.events.Attested().process_receipt(receipt, errors=DISCARD)[0]["args"][
            "uid"
        ]
        self.say.did(f"PSB attested real name verified: attestation {short(uid)}", tx)
        self.say.note(
            "the salt stays with the citizen and PSB: with it, she can prove the commitment"
        )
        self.summary["real_name_attestation"] = "0x" + bytes(uid).hex()

    def publish_chapter(self) -> None:
        self.say.chapter(
            "Records published and anchored",
            "Each owner writes the record to its own database and anchors it: a salted record "
            "hash over every column (subject, content, version...) on chain, through an outbox so a crash never loses or "
            "duplicates an anchor. HRSS also anchors its other pensioners' records in one Merkle "
            "batch transaction.",
        )
        addresses = self.addresses()
        for holding in HOLDINGS:
            store = Store(self.db_url(holding.owner))
            publisher = Publisher(store, department_code(holding.owner))
            publisher.publish(
                holding.category,
                holding.record_id,
                CONTENTS[holding.owner](),
                subject=self.citizen.address,
            )
            if holding.owner == "HRSS":
                for i in range(OTHER_PENSIONERS):
                    publisher.publish(
                        holding.category,
                        f"PEN-BATCH-{i:05d}".encode().ljust(32, b"\0"),
                        {"pensioner": i, "monthly_cny": 2000 + i},
                        subject=Account.create().address,
                        mode=BATCH,
                    )
            sink = ChainAnchorSink(self.connection.w3, addresses, self.dept(holding.owner).staff)
            anchored = AnchorWorker(store, sink).drain()
            with sqlite3.connect(self.workdir / f"{holding.owner.lower()}.db") as db:
                rows = db.execute(
                    "SELECT anchor_kind, anchor_tx, count(*) FROM records GROUP BY anchor_kind, anchor_tx"
                ).fetchall()
            for kind, tx, count in rows:
                what = (
                    f"{label(holding.category)} {label(holding.record_id)}"
                    if kind == "single"
                    else f"a Merkle batch of {count} {label(holding.category)} records"
                )
                self.say.did(f"{holding.owner} anchored {what}", tx)
            store.dispose()
            self.summary.setdefault("anchored", {})[holding.owner] = anchored

    def nodes_chapter(self) -> None:
        self.say.chapter(
            "Data nodes",
            "Each department runs a data node in front of its own database (as X-Road's "
            "security servers do). Its endpoint is registered on chain so any member finds it.",
        )
        registry = self.contract("DepartmentRegistry")
        for code in NODES:
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            tx, _ = self.send(self.dept(code).admin, registry.functions.setEndpoint(url))
            node = NodeProcess.start(
                code,
                self.db_url(code),
                port,
                self.devnet.url,
                self.home,
                self.workdir / f"{code.lower()}-node.log",
            )
            self.nodes[code] = node
            self.say.did(f"{code} node serving at {url} (pid {node.pid}); endpoint registered", tx)

    def data_space_chapter(self) -> None:
        self.say.chapter(
            "The citizen's personal data space",
            "Before applying, the citizen asks every department's node which anchored records it "
            "holds about her, signing with her identity key; each answer is checked on chain.",
        )
        client = CitizenClient(self.reader(), self.citizen)
        rows = []
        for holding in client.personal_data_space():
            for record in holding.records:
                rows.append(
                    [
                        label(holding.department),
                        label(record.category),
                        record.record_id.rstrip(b"\0").decode(),
                        str(record.version),
                        f"{record.anchor_kind} @ block {record.anchored_block}",
                    ]
                )
        self.say.table(
            "Records about the citizen",
            ["department", "category", "record", "version", "anchor"],
            rows,
        )
        self.summary["personal_data_space"] = len(rows)

    def consent_chapter(self) -> None:
        self.say.chapter(
            "One consent",
            "The citizen consents once, for Civil Affairs, to the three categories, for the "
            "purpose 'living subsidy case', for 30 days: one EIP-712 signature per data owner, "
            "made on her device. Civil Affairs relays them, so she pays nothing.",
        )
        grants = self.contract("AccessGrants")
        civil = self.dept("CIVIL")
        now = self.now()
        # the purpose is salted (no unsalted hash of free text on chain); text and salt are
        # filed in the home's purpose book, where the CLI's and the portals' trails read them
        purpose, salt = commit_purpose("govchain.purpose:living-subsidy-case")
        PurposeBook(self.home).add("govchain.purpose:living-subsidy-case", salt)
        domain = self._grants_domain()
        for holding in HOLDINGS:
            terms = {
                "subject": self.citizen.address,
                "grantee": department_code("CIVIL"),
                "owner": department_code(holding.owner),
                "categories": [holding.category],
                "purposeHash": purpose,
                "basis": LegalBasis.CONSENT,
                "validFrom": now,
                "validUntil": now + 30 * DAY,
                "maxUses": 0,
                "nonce": secrets.randbits(64),
            }
            deadline = now + DAY
            signature = GRANT_CONSENT.sign(
                self.citizen.key, domain, consent_message(terms, self.citizen.address, deadline)
            )
            tx, _ = self.send(
                civil.staff,
                grants.functions.grantBySignature(
                    grant_tuple(terms), self.citizen.address, deadline, signature
                ),
            )
            self.grants[holding.owner] = terms
            self.say.did(
                f"grant {short(grant_id(terms))}: CIVIL may use {label(holding.category)} for 30 days",
                tx,
            )

    def _grants_domain(self) -> Domain:
        return Domain(
            "AccessGrants", self.connection.chain_id, self.contract("AccessGrants").address
        )

    def fetch_holding(self, holding: Holding) -> tuple[str, Any]:
        client = DataNodeClient(self.reader(), self.dept("CIVIL").staff)
        prepared = client.prepare(self.grants[holding.owner], holding.category, holding.record_id)
        access_tx = client.record_access(self.sender(self.dept("CIVIL").staff), prepared)
        return access_tx, client.fetch(self.nodes[holding.owner].url, prepared, access_tx)

    def fetch_chapter(self) -> None:
        self.say.chapter(
            "Civil Affairs fetches and verifies each record",
            "For each record Civil Affairs records the access on chain first; the owner's node "
            "checks the signed request, the grant and that access record, then releases the "
            "record encrypted to the requester. Civil Affairs decrypts it and checks its hash "
            "against the anchor before using it.",
        )
        for holding in HOLDINGS:
            access_tx, record = self.fetch_holding(holding)
            self.fetched[holding.owner] = record.content_hash
            self.say.did(
                f"{holding.owner} released {label(holding.category)} v{record.version}; hash matches "
                f"the anchor of block {record.anchored_block} ({record.anchor_kind})",
                access_tx,
            )
        self.summary["records_fetched"] = len(self.fetched)
