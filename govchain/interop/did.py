"""did:ethr resolution of citizen identities, read from ``CitizenRegistry`` (ERC-1056 events).

A citizen's DID is ``did:ethr:<chain id in hex>:<address>`` (the address is lower case). The
document follows the did:ethr method specification's resolution rules exactly as the reference
resolver (npm ``ethr-did-resolver`` 11.1.3, ``wrapDidDocument``) applies them:

* history: from ``changed(identity)`` walk back block by block through the logs whose first
  indexed topic is the identity; in each block the smallest ``previousChange`` below the
  block is the next block to read; only ``DIDOwnerChanged``, ``DIDDelegateChanged`` and
  ``DIDAttributeChanged`` count (other events of the registry are skipped), and a ``bytes32``
  type or name that is not UTF-8 (govchain's ``agent`` delegate type is a hash) is skipped;
  the logs are read in ranges (:data:`HISTORY_WINDOW` blocks a call), and a history of more
  than :data:`MAX_HISTORY` changes is not resolved (an error for that identity: review s28 W-4);
* ``#controller``: an ``EcdsaSecp256k1RecoveryMethod2020`` with ``blockchainAccountId``
  ``eip155:<chain id>:<owner>``, the latest ``DIDOwnerChanged`` owner (the identity itself if
  none); an owner of ``0x0`` deactivates the DID (an empty document);
* delegates of type ``veriKey`` (assertion) and ``sigAuth`` (assertion and authentication)
  while ``validTo >= now`` become ``#delegate-N`` verification methods, N counting every
  delegate and ``did/pub/`` event in order;
* attributes ``did/pub/<algorithm>/<purpose>/<encoding>`` are keys, ``did/svc/<type>`` services.

One difference, for the resolvers' own safety: an attribute value longer than
:data:`MAX_ATTRIBUTE_VALUE` bytes is not listed (it still counts for the numbering), and a
service value nested past the parser's recursion limit is kept as its text, as one that is
not JSON (review s27 W-1: anyone sets any value on her own identity, and a department's watcher
resolves her DID each round).

govchain's contract ties delegates to the owner epoch: a delegate installed under a previous
owner (before a rotation or recovery) is not valid until the new owner confirms it. The owner
change itself emits, for each unexpired delegate of the ended epoch (at most
``MAX_DELEGATES``), a ``DIDDelegateChanged`` with ``validTo`` = the change's block time, so the
method's rules (and a stock resolver) drop it from any ``now`` after that second; a
confirmation emits it again. :func:`resolve` with ``strict=True`` still asks ``validDelegate``
for each listed delegate and withholds those the contract refuses (a resolution within the
rotation's own second, where ``validTo >= now`` still holds), naming them in
``didResolutionMetadata``.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from eth_utils.address import to_checksum_address
from hexbytes import HexBytes

from govchain.errors import InvalidInput
from govchain.timefmt import utc_iso

if TYPE_CHECKING:
    from web3.contract import Contract
    from web3.types import BlockIdentifier

    from govchain.network import Connection

NULL_ADDRESS = "0x0000000000000000000000000000000000000000"
RECOVERY_2020 = "EcdsaSecp256k1RecoveryMethod2020"
DID_CONTEXT = [
    "https://www.w3.org/ns/did/v1",
    "https://w3id.org/security/suites/secp256k1recovery-2020/v2",
    "https://w3id.org/security/v3-unstable",
]
ERC1056_EVENTS = ("DIDOwnerChanged", "DIDDelegateChanged", "DIDAttributeChanged")
_LEGACY_ATTR_TYPES = {
    "sigAuth": "SignatureAuthentication2018",
    "veriKey": "VerificationKey2018",
    "enc": "KeyAgreementKey2019",
}
_LEGACY_ALGO = {
    "Secp256k1VerificationKey2018": "EcdsaSecp256k1VerificationKey2019",
    "Ed25519SignatureAuthentication2018": "Ed25519VerificationKey2018",
    "Secp256k1SignatureAuthentication2018": "EcdsaSecp256k1VerificationKey2019",
    "RSAVerificationKey2018": "RSAVerificationKey2018",
    "Ed25519VerificationKey2018": "Ed25519VerificationKey2018",
    "X25519KeyAgreementKey2019": "X25519KeyAgreementKey2019",
}
_ATTRIBUTE = re.compile(r"^did/(pub|svc)/(\w+)(/(\w+))?(/(\w+))?$", re.ASCII)
_DID = re.compile(r"^did:ethr:(0x[0-9a-fA-F]+):(0x[0-9a-fA-F]{40})$")
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
#: The longest attribute value (bytes) a document lists. Anyone may set any value on her own
#: identity and every resolver (a department's offer watcher, each round) decodes it: a longer
#: one is skipped, as an unreadable one is, before it is decoded (base58 is quadratic in its
#: length, JSON can nest past the parser's recursion limit). A key is at most 65 bytes, an
#: endpoint a URL or a small JSON object. The reference resolver has no bound (a difference).
MAX_ATTRIBUTE_VALUE = 2048
#: The most ERC-1056 changes :func:`history` walks for one identity (W-4, review s28: anyone
#: makes her own history as long as she likes, and a department's watcher resolves it); a
#: longer history is an error for that identity alone. A citizen's keys, delegates and
#: services take a few dozen changes. The reference resolver has no bound (a difference).
MAX_HISTORY = 1024
#: The most blocks one ``eth_getLogs`` of :func:`history` covers.
HISTORY_WINDOW = 10_000


def did_of(chain_id: int, address: str) -> str:
    """``did:ethr:0x7a69:0xabc…`` for ``address`` on chain ``chain_id``."""
    return f"did:ethr:{hex(int(chain_id))}:{str(address).lower()}"


def parse_did(did: str) -> tuple[int, str]:
    """(chain id, checksum address) of a ``did:ethr:<hex chain id>:<address>``."""
    match = _DID.match(did.split("#")[0])
    if match is None:
        raise InvalidInput("DID", did, "expected did:ethr:<0x chain id>:<0x address>")
    return int(match.group(1), 16), to_checksum_address(match.group(2))


@dataclass(frozen=True)
class Change:
    """One ERC-1056 event of an identity's history, decoded as the reference resolver does."""

    name: str
    block: int
    owner: str = ""
    kind: str = ""  # delegateType or attribute name (UTF-8, trailing NULs removed)
    subject: str = ""  # delegate address or attribute value (0x-hex)
    valid_to: int = 0

    @property
    def index(self) -> str:
        return f"{self.name}-{self.kind or 'undefined'}-{self.subject or 'undefined'}"


def _bytes32_text(raw: bytes) -> str | None:
    try:
        return bytes(raw).decode("utf-8").rstrip("\0")
    except UnicodeDecodeError:
        return None


def history(
    registry: Contract,
    identity: str,
    block: BlockIdentifier = "latest",
    *,
    since: int = 0,
    limit: int | None = None,
    window: int = HISTORY_WINDOW,
) -> list[Change]:
    """The identity's ERC-1056 events, oldest first, by the ``previousChange`` walk.

    W-4 (review s28): the logs are read in ranges of up to ``window`` blocks ending at the
    next block the walk needs (not one ``eth_getLogs`` per changed block; none below
    ``since``, the registry's deployment block), so a history of N changes in consecutive
    blocks costs about N / ``window`` calls; a history of more than ``limit`` changes is
    unreadable here (InvalidInput naming the identity), not walked (``limit``, default
    :data:`MAX_HISTORY`)."""
    limit = MAX_HISTORY if limit is None else limit
    w3 = registry.w3
    address: str = to_checksum_address(identity)
    topic = "0x" + "00" * 12 + address[2:].lower()
    decoders = {
        HexBytes(registry.events[name]().topic).to_0x_hex(): name for name in ERC1056_EVENTS
    }
    newest_first: list[list[Change]] = []
    count = 0
    by_block: dict[int, list[Any]] = {}
    low = None  # the lowest block the logs read so far cover
    pointer = int(registry.functions.changed(address).call(block_identifier=block))
    while pointer:
        here = pointer
        if low is None or here < low:
            low = min(here, max(int(since), here - max(1, int(window)) + 1))
            by_block = _logs_by_block(w3, registry.address, topic, low, here)
        logs = by_block.get(here)
        if not logs:
            raise InvalidInput(
                "identity history", address, f"no logs at block {here} (not an archive node?)"
            )
        pointer = 0
        changes: list[Change] = []
        for log in logs:
            name = decoders.get(HexBytes(log["topics"][0]).to_0x_hex())
            if name is None:
                continue
            args = registry.events[name]().process_log(log)["args"]
            previous = int(args["previousChange"])
            if 0 < previous < here and (pointer == 0 or previous < pointer):
                pointer = previous
            count += 1
            change = _change(name, here, args)
            if change is not None:
                changes.append(change)
        if count > limit:
            raise InvalidInput(
                "identity history",
                address,
                f"more than {limit} ERC-1056 changes: too long to resolve here",
            )
        newest_first.append(changes)
    return [c for changes in reversed(newest_first) for c in changes]


def _logs_by_block(w3: Any, address: str, topic: str, low: int, high: int) -> dict[int, list[Any]]:
    """The registry's logs whose first indexed topic is ``topic`` in blocks ``low..high``, by
    block (the filter is re-checked: some clients, EthereumJS, ignore topic filters)."""
    logs = w3.eth.get_logs(
        {"address": address, "topics": [None, topic], "fromBlock": low, "toBlock": high}
    )
    out: dict[int, list[Any]] = {}
    for log in logs:
        topics = log["topics"]
        if len(topics) > 1 and HexBytes(topics[1]).to_0x_hex() == topic:
            out.setdefault(int(log["blockNumber"]), []).append(log)
    return out


def _change(name: str, block: int, args: Any) -> Change | None:
    if name == "DIDOwnerChanged":
        return Change(name, block, owner=to_checksum_address(args["owner"]))
    if name == "DIDDelegateChanged":
        kind = _bytes32_text(args["delegateType"])
        if kind is None:
            return None
        return Change(
            name,
            block,
            kind=kind,
            subject=to_checksum_address(args["delegate"]),
            valid_to=int(args["validTo"]),
        )
    kind = _bytes32_text(args["name"])
    if kind is None:
        return None
    return Change(
        name,
        block,
        kind=kind,
        subject="0x" + bytes(args["value"]).hex(),
        valid_to=int(args["validTo"]),
    )


def _base58(raw: bytes) -> str:
    value = int.from_bytes(raw, "big")
    text = ""
    while value:
        value, digit = divmod(value, 58)
        text = _B58[digit] + text
    for byte in raw:
        if byte:
            break
        text = "1" + text
    return text


def _public_key(
    did: str, n: int, algorithm: str, purpose: str | None, encoding: str | None, value: str
) -> dict[str, Any] | None:
    kind = _LEGACY_ATTR_TYPES.get(purpose or "", purpose) if purpose else None
    key: dict[str, Any] = {"id": f"{did}#delegate-{n}", "type": "", "controller": did}
    key["type"] = _LEGACY_ALGO.get(f"{algorithm}{kind if kind else 'undefined'}") or algorithm
    raw = bytes.fromhex(value[2:])
    if encoding in (None, "hex"):
        key["publicKeyHex"] = value[2:]
    elif encoding == "base64":
        key["publicKeyBase64"] = base64.b64encode(raw).decode()
    elif encoding == "base58":
        key["publicKeyBase58"] = _base58(raw)
    elif encoding == "pem":
        try:
            key["publicKeyPem"] = raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
    else:
        key["value"] = value[2:]
    return key


@dataclass
class Document:
    """A document built from a history, with its version metadata."""

    document: dict[str, Any]
    deactivated: bool
    version_block: int
    next_version_block: int | None
    delegates: dict[str, tuple[str, str]]  # verification method id -> (delegate type, address)
    #: live attributes: document id -> (attribute name, value, position of the change that set it)
    attributes: dict[str, tuple[str, str, int]] = field(default_factory=dict)
    #: position in the history of the latest owner change (-1: the identity never changed owner)
    owner_changed_at: int = -1

    def earlier_owners_attributes(self) -> dict[str, tuple[str, str]]:
        """Live attributes last set before the latest owner change: installed by an earlier
        owner key and not set again by the current one (document id -> (name, value))."""
        return {
            ref: (name, value)
            for ref, (name, value, at) in self.attributes.items()
            if at < self.owner_changed_at
        }


def build_document(
    did: str,
    address: str,
    changes: list[Change],
    chain_id: int,
    now: int,
    at_block: int | None = None,
) -> Document:
    """The reference resolver's ``wrapDidDocument``: the DID document as of ``now``."""
    controller: str = to_checksum_address(address)
    version, following = 0, None
    deactivated = False
    delegate_count = service_count = 0
    auth: dict[str, str] = {}
    agreement: dict[str, str] = {}
    signing: dict[str, str] = {}
    keys: dict[str, dict[str, Any]] = {}
    services: dict[str, dict[str, Any]] = {}
    delegates: dict[str, tuple[str, str]] = {}
    attributes: dict[str, tuple[str, str, str, int]] = {}  # index -> (id, name, value, position)
    owner_changed_at = -1
    for position, change in enumerate(changes):
        if at_block is not None and change.block > at_block:
            following = change.block if following is None else min(following, change.block)
            continue
        version = max(version, change.block)
        index = change.index
        if change.valid_to and change.valid_to >= now:
            if change.name == "DIDDelegateChanged":
                delegate_count += 1
                ref = f"{did}#delegate-{delegate_count}"
                if change.kind in ("sigAuth", "veriKey"):
                    if change.kind == "sigAuth":
                        auth[index] = ref
                    keys[index] = {
                        "id": ref,
                        "type": RECOVERY_2020,
                        "controller": did,
                        "blockchainAccountId": f"eip155:{chain_id}:{change.subject}",
                    }
                    signing[index] = ref
                    delegates[ref] = (change.kind, change.subject)
            else:
                match = _ATTRIBUTE.match(change.kind)
                if match is None:
                    continue
                section, algorithm, purpose, encoding = (
                    match.group(1), match.group(2), match.group(4), match.group(6),
                )  # fmt: skip
                oversize = len(change.subject) > 2 + 2 * MAX_ATTRIBUTE_VALUE
                if section == "pub":
                    delegate_count += 1
                    if oversize:
                        continue
                    key = _public_key(
                        did, delegate_count, algorithm, purpose, encoding, change.subject
                    )
                    if key is None:
                        continue
                    keys[index] = key
                    attributes[index] = (key["id"], change.kind, change.subject, position)
                    if purpose == "sigAuth":
                        auth[index] = signing[index] = key["id"]
                    elif purpose == "enc":
                        agreement[index] = key["id"]
                    else:
                        signing[index] = key["id"]
                else:
                    service_count += 1
                    if oversize:
                        continue
                    try:
                        text = bytes.fromhex(change.subject[2:]).decode("utf-8")
                    except UnicodeDecodeError:
                        continue
                    try:
                        endpoint: Any = json.loads(text)
                    except (ValueError, RecursionError):  # kept as the text, as not JSON
                        endpoint = text
                    services[index] = {
                        "id": f"{did}#service-{service_count}",
                        "type": algorithm,
                        "serviceEndpoint": endpoint,
                    }
                    attributes[index] = (
                        services[index]["id"], change.kind, change.subject, position
                    )  # fmt: skip
        elif change.name == "DIDOwnerChanged":
            controller = change.owner
            owner_changed_at = position
            if change.owner == NULL_ADDRESS:
                deactivated = True
                break
        else:
            if change.name == "DIDDelegateChanged" or change.kind.startswith("did/pub/"):
                delegate_count += 1
            elif change.kind.startswith("did/svc/"):
                service_count += 1
            for table in (auth, signing, keys, services, attributes):
                table.pop(index, None)
    base: dict[str, Any] = {
        "@context": list(DID_CONTEXT),
        "id": did,
        "verificationMethod": [],
        "authentication": [],
        "assertionMethod": [],
    }
    if deactivated:
        return Document(base, True, version, following, {})
    controller_ref = f"{did}#controller"
    document = dict(base)
    document["verificationMethod"] = [
        {
            "id": controller_ref,
            "type": RECOVERY_2020,
            "controller": did,
            "blockchainAccountId": f"eip155:{chain_id}:{controller}",
        },
        *keys.values(),
    ]
    document["authentication"] = [controller_ref, *auth.values()]
    document["assertionMethod"] = [controller_ref, *signing.values()]
    if services:
        document["service"] = list(services.values())
    if agreement:
        document["keyAgreement"] = list(agreement.values())
    live = {ref: d for ref, d in delegates.items() if ref in signing.values()}
    kept = {ref: (name, value, at) for ref, name, value, at in attributes.values()}
    return Document(document, False, version, following, live, kept, owner_changed_at)


def _withhold(document: dict[str, Any], refs: list[str]) -> None:
    document["verificationMethod"] = [
        m for m in document["verificationMethod"] if m["id"] not in refs
    ]
    for section in ("authentication", "assertionMethod", "keyAgreement"):
        if section in document:
            document[section] = [r for r in document[section] if r not in refs]
    if "service" in document:
        document["service"] = [s for s in document["service"] if s["id"] not in refs]
    for section in ("keyAgreement", "service"):
        if section in document and not document[section]:
            del document[section]


def resolve(
    connection: Connection, did: str, now: int | None = None, strict: bool = True
) -> dict[str, Any]:
    """The DID resolution result (``didDocument``, ``didDocumentMetadata``,
    ``didResolutionMetadata``) of a citizen's ``did``, as of ``now`` (default: the latest
    block's time). ``strict`` withholds delegates the contract no longer accepts, and
    attributes (keys, encryption keys, services) an earlier owner key set that the current owner
    has not set again: invariant 3, nothing a previous key installed survives its rotation or
    recovery unconfirmed. ERC-1056 attributes live only in events, so the chain cannot end them
    at an owner change; a stock resolver lists them until the owner revokes them
    (``govchain citizen attribute clean``).
    """
    chain_id, address = parse_did(did)
    if chain_id != connection.chain_id:
        raise InvalidInput(
            "DID", did, f"names chain {chain_id}; the node serves {connection.chain_id}"
        )
    registry = connection.contract("CitizenRegistry")
    w3 = connection.w3
    if now is None:
        now = int(w3.eth.get_block("latest")["timestamp"])
    since = connection.deployment.contracts["CitizenRegistry"].block
    built = build_document(did, address, history(registry, address, since=since), chain_id, now)
    metadata: dict[str, Any] = {}
    if built.deactivated:
        metadata["deactivated"] = True
    if built.version_block:
        block = w3.eth.get_block(built.version_block)
        metadata |= {
            "versionId": str(built.version_block),
            "updated": utc_iso(int(block["timestamp"])),
        }
    resolution: dict[str, Any] = {"contentType": "application/did+ld+json"}
    if strict and built.delegates:
        withheld = []
        for ref, (kind, delegate) in built.delegates.items():
            raw_kind = kind.encode().ljust(32, b"\0")
            if not registry.functions.validDelegate(address, raw_kind, delegate).call():
                withheld.append({"id": ref, "delegate": delegate, "type": kind})
        if withheld:
            _withhold(built.document, [w["id"] for w in withheld])
            resolution["govchainWithheldDelegates"] = withheld
            resolution["govchainNote"] = (
                "delegates installed under a previous owner and not confirmed since: "
                "CitizenRegistry.validDelegate is false (their end was announced this second)"
            )
    stale = built.earlier_owners_attributes() if strict else {}
    if stale:
        _withhold(built.document, list(stale))
        resolution["govchainWithheldAttributes"] = [
            {"id": ref, "name": name, "value": value} for ref, (name, value) in stale.items()
        ]
        resolution["govchainAttributesNote"] = (
            "attributes set by an earlier owner key and not set again by the current owner; "
            "a stock resolver still lists them until they are revoked"
        )
    return {
        "didDocument": built.document,
        "didDocumentMetadata": metadata,
        "didResolutionMetadata": resolution,
    }
