"""Clients of data nodes: a department member fetching under a grant, a citizen fetching their own.

Nothing is handed over unverified: the answer is decrypted with the requester's key, the record
hash is recomputed from the delivered columns — with the subject of the request and the owner
of the catalog, not the node's word — and judged by the one acceptance rule
(:func:`govchain.sharing.acceptance.accept_record`): the chain's latest version decides which
anchor is acceptable, never the node. Any change to the payload, in transit or in the owner's
store, or an out-of-date version raises :class:`RecordTampered` with a refusal code.
"""

from __future__ import annotations

import json
import secrets
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import ecies
import httpx
from eth_abi.abi import encode
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address

from govchain.errors import GovchainError
from govchain.node.chain import (
    ACCESS_RECORDED_TOPIC,
    ZERO32,
    ZERO_ADDRESS,
    RpcChain,
    View,
    parse_access_record,
)
from govchain.node.messages import DATA_REQUEST, SUBJECT_REQUEST, FastDigest, node_domain
from govchain.node.protocol import grant_json, hex32, unb64
from govchain.sharing.acceptance import (
    BAD_PROOF,
    RecordColumns,
    SeenRecords,
    accept_columns,
    accept_record,
)
from govchain.sharing.acceptance import RecordTampered as RecordTampered
from govchain.sharing.messages import grant_id as compute_grant_id
from govchain.sharing.messages import grant_tuple
from govchain.tx import Sender

DEFAULT_VALIDITY = 300  # seconds a signed request stays valid

# encoded from the packaged ABIs (govchain.node.calls)
RECORD_ACCESS = View("AccessGrants", "recordAccess")
RECORD_OPEN_ACCESS = View("AccessGrants", "recordOpenAccess")
DEPARTMENT_COUNT = View("DepartmentRegistry", "departmentCount")
DEPARTMENT_AT = View("DepartmentRegistry", "departmentAt")
DEPARTMENT = View("DepartmentRegistry", "department")
DEPARTMENT_ACTIVE = 2


class NodeRefused(GovchainError, PermissionError):
    """The data node refused the request (HTTP error with a reason code)."""

    def __init__(self, status: int, reason: str, detail: str) -> None:
        self.status = status
        self.reason = reason
        self.detail = detail
        super().__init__(f"data node refused ({status} {reason}): {detail}")


class KeyNotInControl(GovchainError, PermissionError):
    """The signing key is neither the identity's owner nor its agent (e.g. after a rotation)."""

    def __init__(self, key: str, identity: str, owner: str) -> None:
        self.key, self.identity, self.owner = key, identity, owner
        if key.lower() == identity.lower():
            text = (
                f"key {key} no longer controls identity {identity}: its owner is now {owner} "
                "(the key was rotated); sign with the new key and --identity "
                f"{identity}"
            )
        else:
            text = (
                f"key {key} does not control identity {identity} (its owner is {owner}, "
                "and the key is not its agent)"
            )
        super().__init__(text)


class NodeUnreachable(GovchainError, ConnectionError):
    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"data node {url} did not answer: {reason}")


@dataclass(frozen=True)
class VerifiedRecord:
    """A record accepted by the acceptance rule (``content_hash`` is its record hash)."""

    department: bytes
    category: bytes
    record_id: bytes
    subject: str | None
    version: int
    media_type: str
    content: bytes
    content_hash: bytes
    anchor_kind: str
    anchored_block: int
    anchored_at: int

    def json(self) -> Any:
        return json.loads(self.content)


@dataclass(frozen=True)
class PreparedRequest:
    """A signed data request and the digest to record on chain as ``requestHash``."""

    message: dict[str, Any]
    digest: bytes
    signature: bytes
    terms: dict[str, Any] | None

    def body(self, access_tx: str) -> dict[str, Any]:
        m = self.message
        out: dict[str, Any] = {
            "request": {
                "grantId": hex32(m["grantId"]),
                "category": hex32(m["category"]),
                "subject": m["subject"],
                "recordId": hex32(m["recordId"]),
                "nonce": str(m["nonce"]),
                "expiry": m["expiry"],
            },
            "signature": "0x" + self.signature.hex(),
            "accessTx": access_tx,
        }
        if self.terms is not None:
            out["grant"] = grant_json(self.terms)
        return out


def tls_verify(
    ca_file: str | None = None, client_cert: tuple[str, str] | None = None
) -> ssl.SSLContext | bool:
    """How a client checks a node's HTTPS certificate: against ``ca_file`` (PEM) if given, else
    the config's ``[cli] ca_file`` / ``$GOVCHAIN_CLI_CA_FILE``, else the system's trust store;
    and the certificate and key it presents to a node that requires one (mutual TLS):
    ``client_cert`` if given, else ``[cli] tls_client_cert``/``tls_client_key``. Mutual TLS
    only admits the connection: the node still decides every request by its signature."""
    from govchain.settings import ca_file as configured
    from govchain.settings import client_certificate

    path = ca_file or configured()
    chain = client_cert or client_certificate()
    if path is None and chain is None:
        return True
    context = ssl.create_default_context(cafile=path)
    if chain is not None:
        context.load_cert_chain(*chain)
    return context


def _malformed(key: str, exc: BaseException) -> RecordTampered:
    return RecordTampered(
        f"the node's answer is malformed ({key}: {type(exc).__name__})", BAD_PROOF
    )


def answer_items(answer: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    """``answer[key]``, a list of JSON objects (absent: none); RecordTampered (``bad_proof``)
    if the node answered another shape."""
    items = answer.get(key, [])
    if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
        raise _malformed(key, TypeError())
    return items


class _Base:
    def __init__(
        self,
        chain: RpcChain,
        account: LocalAccount,
        *,
        http: httpx.Client | None = None,
        timeout: float = 15.0,
        seen: SeenRecords | None = None,
        ca_file: str | None = None,
        client_cert: tuple[str, str] | None = None,
    ) -> None:
        self.chain = chain
        self.account = account
        self.seen = seen if seen is not None else SeenRecords()
        self.http = http or httpx.Client(timeout=timeout, verify=tls_verify(ca_file, client_cert))
        domain = node_domain(chain.chain_id, chain.addresses.access_grants)
        self.domain = domain

    def _post(self, url: str, body: Mapping[str, Any]) -> dict[str, Any]:
        try:
            response = self.http.post(url, json=body)
        except httpx.HTTPError as exc:
            raise NodeUnreachable(url, f"{type(exc).__name__}: {exc}") from None
        try:
            payload = response.json()
        except (ValueError, RecursionError):  # not JSON, or nested past the parser's limit
            payload = None
        if response.status_code != 200:
            if not isinstance(payload, dict):  # a refusal of the wrong shape: its text
                payload = {}
            raise NodeRefused(
                response.status_code,
                str(payload.get("reason", "unknown")),
                str(payload.get("detail", response.text[:200])),
            )
        if not isinstance(payload, dict):
            raise RecordTampered("the answer is not a JSON object", BAD_PROOF)
        return payload

    def _open(self, answer: Mapping[str, Any], expect: Mapping[str, Any]) -> VerifiedRecord:
        """Decrypts an answer and judges it by the acceptance rule."""
        try:
            plain = ecies.decrypt(self.account.key, unb64(str(answer["ciphertext"])))
            inner = json.loads(plain)
            content = unb64(inner["content"])
            salt = bytes.fromhex(inner["salt"][2:])
            category = bytes.fromhex(inner["category"][2:])
            record_id = bytes.fromhex(inner["recordId"][2:])
            version = int(inner["version"])
            media_type = str(inner["mediaType"])
        except Exception as exc:
            raise RecordTampered(
                f"the payload cannot be decrypted or read ({type(exc).__name__})", BAD_PROOF
            ) from None
        if category != expect["category"] or record_id != expect["recordId"]:
            raise RecordTampered("the payload is another record than the one requested")
        # the subject bound into the hash is the request's, never the node's word
        subject = expect.get("subject")
        if subject is not None and str(subject).lower() == ZERO_ADDRESS:
            subject = None
        anchor = answer.get("anchor")
        if anchor is not None and not isinstance(anchor, Mapping):
            raise RecordTampered("the anchor proof is unreadable", BAD_PROOF)
        columns = RecordColumns(
            category,
            record_id,
            version,
            self.chain.category_owner(category),
            subject,
            media_type,
            content,
            salt,
        )
        accepted = accept_columns(self.chain, columns, anchor, self.seen)
        return VerifiedRecord(
            department=bytes.fromhex(str(answer.get("department", "0x" + "00" * 32))[2:]),
            category=category,
            record_id=record_id,
            subject=subject,
            version=version,
            media_type=media_type,
            content=content,
            content_hash=accepted.record_hash,
            anchor_kind=accepted.kind,
            anchored_block=accepted.block_number,
            anchored_at=accepted.timestamp,
        )


class DataNodeClient(_Base):
    """A grantee department's member: sign a request, record the access, fetch and verify."""

    def prepare(
        self,
        terms: Mapping[str, Any] | None,
        category: bytes,
        record_id: bytes,
        *,
        subject: str | None = None,
        nonce: int | None = None,
        expiry: int | None = None,
    ) -> PreparedRequest:
        """Signs a ``DataRequest``; ``terms`` None for an Unconditional category (open access)."""
        message = {
            "grantId": ZERO32 if terms is None else compute_grant_id(terms),
            "category": category,
            "subject": to_checksum_address(
                subject or (terms["subject"] if terms else "0x" + "00" * 20)
            ),
            "recordId": record_id,
            "nonce": secrets.randbits(128) if nonce is None else nonce,
            "expiry": int(time.time()) + DEFAULT_VALIDITY if expiry is None else expiry,
        }
        digest = FastDigest(DATA_REQUEST, self.domain)(message)
        signature = DATA_REQUEST.sign(self.account.key, self.domain, message)
        return PreparedRequest(message, digest, signature, dict(terms) if terms else None)

    def access_call(
        self, prepared: PreparedRequest, purpose_hash: bytes = ZERO32
    ) -> dict[str, Any]:
        """The AccessGrants transaction (``to``, ``data``) recording this request's access."""
        m = prepared.message
        if prepared.terms is None:
            data = RECORD_OPEN_ACCESS.data(m["category"], purpose_hash, prepared.digest)
        else:
            data = RECORD_ACCESS.data(grant_tuple(prepared.terms), m["category"], prepared.digest)
        return {"to": self.chain.addresses.access_grants, "data": data}

    def record_access(self, sender: Sender, prepared: PreparedRequest) -> str:
        """Sends ``AccessGrants.recordAccess`` for the request; returns the transaction hash."""
        receipt = sender.send(self.access_call(prepared))  # type: ignore[arg-type]
        return str(receipt["transactionHash"].to_0x_hex())

    def fetch(self, node_url: str, prepared: PreparedRequest, access_tx: str) -> VerifiedRecord:
        """Calls the node and returns the record once verified against the chain."""
        answer = self._post(node_url.rstrip("/") + "/v1/records/fetch", prepared.body(access_tx))
        return self._open(answer, prepared.message)

    def request(
        self,
        node_url: str,
        sender: Sender,
        terms: Mapping[str, Any] | None,
        category: bytes,
        record_id: bytes,
        subject: str | None = None,
    ) -> VerifiedRecord:
        """The whole flow: sign, record the access on chain, fetch, verify."""
        prepared = self.prepare(terms, category, record_id, subject=subject)
        return self.fetch(node_url, prepared, self.record_access(sender, prepared))


@dataclass(frozen=True)
class HeldRecord:
    """A record a department holds about the citizen, its anchor checked on chain."""

    category: bytes
    record_id: bytes
    version: int
    content_hash: bytes
    anchor_kind: str
    anchored_block: int


@dataclass
class Holding:
    department: bytes
    endpoint: str
    records: list[HeldRecord] = field(default_factory=list)
    error: str | None = None


@dataclass(frozen=True)
class DepartmentInfo:
    code: bytes
    name: str
    status: int
    endpoint: str


class CitizenClient(_Base):
    """A citizen's personal data space: which departments hold anchored records about them,
    and their own records fetched from each node with their identity key."""

    def __init__(
        self, chain: RpcChain, account: LocalAccount, identity: str | None = None, **kw: Any
    ) -> None:
        super().__init__(chain, account, **kw)
        self.identity = to_checksum_address(identity or account.address)

    def check_control(self) -> None:
        """Refuse here, before asking any node, when the key does not control the identity:
        every node would refuse it ("not_subject_controller"), and an empty list would read
        as "no records"."""
        if not self.chain.controls_identity(self.identity, self.account.address):
            owner = self.chain.identity_owner(self.identity)
            raise KeyNotInControl(self.account.address, self.identity, owner)

    def _signed(
        self, category: bytes, record_id: bytes, department: bytes | None = None
    ) -> dict[str, Any]:
        """A signed ``SubjectRequest`` for the node of ``department`` (default: the catalog
        owner of ``category``, the chain's word; a list of every category must name it)."""
        if department is None:
            if category == ZERO32:
                raise ValueError("name the department whose node the request is for")
            department = self.chain.category_owner(category)
        message = {
            "department": department,
            "subject": self.identity,
            "category": category,
            "recordId": record_id,
            "nonce": secrets.randbits(128),
            "expiry": int(time.time()) + DEFAULT_VALIDITY,
        }
        signature = SUBJECT_REQUEST.sign(self.account.key, self.domain, message)
        return {
            "request": {
                "department": hex32(department),
                "subject": self.identity,
                "category": hex32(category),
                "recordId": hex32(record_id),
                "nonce": str(message["nonce"]),
                "expiry": message["expiry"],
            },
            "signature": "0x" + signature.hex(),
        }

    def list_records(
        self, node_url: str, department: bytes, category: bytes = ZERO32
    ) -> list[HeldRecord]:
        """The anchored records the node of ``department`` holds about this identity, each
        anchor checked on chain (the signed request names ``department``: no other node
        answers it)."""
        answer = self._post(
            node_url.rstrip("/") + "/v1/subject/list", self._signed(category, ZERO32, department)
        )
        out = []
        for item in answer_items(answer, "records"):
            try:  # the answer's shape, at the boundary: one node's bad answer is its own error
                cat = bytes.fromhex(item["category"][2:])
                rid = bytes.fromhex(item["recordId"][2:])
                h = bytes.fromhex(item["recordHash"][2:])
                version = int(item["version"])
                if len(cat) != 32 or len(rid) != 32 or len(h) != 32 or not 0 <= version < 2**64:
                    raise ValueError("out of range")
            except (KeyError, TypeError, ValueError) as exc:
                raise _malformed("records", exc) from None
            ok = accept_record(self.chain, cat, rid, version, h, item.get("anchor"))
            out.append(HeldRecord(cat, rid, ok.version, h, ok.kind, ok.block_number))
        return out

    def fetch(
        self,
        node_url: str,
        category: bytes,
        record_id: bytes,
        department: bytes | None = None,
    ) -> VerifiedRecord:
        """One of this identity's records from the node of ``department`` (default: the
        category's catalog owner)."""
        answer = self._post(
            node_url.rstrip("/") + "/v1/subject/fetch",
            self._signed(category, record_id, department),
        )
        return self._open(
            answer, {"category": category, "recordId": record_id, "subject": self.identity}
        )

    def departments(self) -> list[DepartmentInfo]:
        """Every department on chain with its data-node endpoint (DepartmentRegistry)."""
        reg = self.chain.addresses.departments
        (count,) = DEPARTMENT_COUNT.decode(
            self.chain.rpc(*RpcChain._call(reg, DEPARTMENT_COUNT.data()))
        )
        codes = (
            [
                DEPARTMENT_AT.decode(r)[0]
                for r in self.chain.batch(
                    [RpcChain._call(reg, DEPARTMENT_AT.data(i)) for i in range(count)]
                )
            ]
            if count
            else []
        )
        views = (
            self.chain.batch([RpcChain._call(reg, DEPARTMENT.data(c)) for c in codes])
            if codes
            else []
        )
        out = []
        for c, raw in zip(codes, views, strict=True):
            (view,) = DEPARTMENT.decode(raw)
            out.append(DepartmentInfo(c, view[1], int(view[3]), view[4]))
        return out

    def personal_data_space(self, endpoints: Mapping[bytes, str] | None = None) -> list[Holding]:
        """Asks every Active department's node which anchored records it holds about this
        identity. ``endpoints`` overrides the registered endpoint of some departments."""
        out = []
        for dept in self.departments():
            if dept.status != DEPARTMENT_ACTIVE:
                continue
            url = (endpoints or {}).get(dept.code, dept.endpoint)
            holding = Holding(dept.code, url)
            try:
                holding.records = self.list_records(url, dept.code)
            except (NodeRefused, NodeUnreachable, RecordTampered) as exc:
                holding.error = str(exc)
            out.append(holding)
        return out

    def access_trail(self, from_block: int = 0) -> list[dict[str, Any]]:
        """Every on-chain access record about this identity (``AccessRecorded`` by subject)."""
        topic = "0x" + ACCESS_RECORDED_TOPIC.hex()
        subject_topic = "0x" + encode(["address"], [self.identity]).hex()
        logs = self.chain.logs(
            self.chain.addresses.access_grants, [topic, subject_topic], from_block
        )
        out = []
        for log in logs:
            rec = parse_access_record(log)
            out.append(
                {
                    "owner": rec.owner,
                    "grantee": rec.grantee,
                    "category": rec.category,
                    "member": rec.member,
                    "purposeHash": rec.purpose_hash,
                    "grantId": rec.grant_id,
                    "requestHash": rec.request_hash,
                    "block": int(log["blockNumber"], 16),
                    "tx": log["transactionHash"],
                }
            )
        return out
