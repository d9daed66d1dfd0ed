"""The eligibility watcher (免申即享): offers a department's services to the citizens who newly
satisfy their rules, privately, and relays the acceptances they sign.

:meth:`Watcher.watch` reads from the event index (:mod:`govchain.indexer`, synced beforehand)
only the ``Attested`` events of the schemas and issuers its services' rules name, and their
``Revoked`` events (SQL filters, :mod:`govchain.services.candidates`), and, for each service of
the department in force,
finds the citizens who hold, for every requirement of its rule, an attestation of the schema,
by a named department Active now, unrevoked, unexpired and young enough. The chain has the last
word: the candidate evidence is checked with ``RuleRegistry.check`` (``eth_call``, the same
check a RULE step runs), so the watcher never re-derives the rule. Each offer is sealed with
ECIES to the citizen's published encryption key (her DID document's ``keyAgreement`` key, the
ERC-1056 attribute ``did/pub/Secp256k1/enc/hex``) and stored in the department's
:class:`~govchain.services.offerbox.OfferBox`; nothing goes on chain. A citizen who already has
an offer of the service, or holds its benefit, is skipped, so re-runs are no-ops; each offer is
one insert (unique per citizen and service), so a crash mid-run loses nothing the next run
does not redo and duplicates nothing.

:meth:`Watcher.relay` sends the acceptances citizens signed (kept by the data node, see
:mod:`govchain.node.offers`) with the department's STAFF key: ``acceptOffer`` opens the case,
decides it by its rule and issues the benefit in one transaction; the citizen pays nothing.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ecies
from ecies.config import ECIES_CONFIG
from ecies.keys import PublicKey
from web3.exceptions import ContractLogicError

from govchain import validate
from govchain.approval.cases import code_text
from govchain.approval.messages import domain as cases_domain
from govchain.errors import GovchainError, InvalidInput
from govchain.interop.did import did_of, resolve
from govchain.network import Connection
from govchain.services.catalog import Catalog, Service, service_terms
from govchain.services.offers import consent_hash, consent_text
from govchain.services.rulebook import Rulebook
from govchain.services.rules import Evidence, Requirement, requirements_hash
from govchain.tx import Sender

# The index (SQLAlchemy) and the offer box are used by the watcher's rounds, not by the helpers
# the CLI's citizen and objection commands import from here (encryption_key, open_offer): they
# are imported where used, so those commands do not load SQLAlchemy (issue 20).
if TYPE_CHECKING:
    from sqlalchemy import Engine

    from govchain.services.offerbox import OfferBox, StoredOffer

OFFER_FORMAT = "govchain.offer/1"
#: How long an offer (and the case deadline in it) stays open.
OFFER_VALIDITY = 30 * 86400
ZERO32 = b"\0" * 32


def encryption_key(connection: Connection, identity: str) -> bytes | None:
    """The citizen's published encryption key (compressed or uncompressed secp256k1), or None:
    the newest ``keyAgreement`` key of her DID document (``did/pub/Secp256k1/enc/hex``) that
    the current owner key set (one an earlier owner set is withheld: ``resolve``'s strict mode)
    and that the ECIES offers are sealed with can use: a secp256k1 point (an X25519 or other
    key, or one that is not a point of the curve, is passed over). InvalidInput if her DID
    document cannot be read."""
    try:
        document = resolve(connection, did_of(connection.chain_id, identity))["didDocument"]
    except GovchainError:
        raise
    except (ValueError, RecursionError) as exc:
        raise InvalidInput(
            "identity", identity, f"her DID document cannot be read ({type(exc).__name__})"
        ) from None
    agreement = set(document.get("keyAgreement", []))
    for method in reversed(document.get("verificationMethod", [])):
        if method.get("id") not in agreement or "Secp256k1" not in str(method.get("type")):
            continue
        try:
            raw = bytes.fromhex(str(method.get("publicKeyHex")))
            PublicKey(ECIES_CONFIG.elliptic_curve, raw)  # a point of secp256k1, or ValueError
        except ValueError:
            continue
        return raw
    return None


def open_offer(private_key: bytes, sealed: bytes) -> dict[str, Any]:
    """Decrypt a sealed offer with the citizen's encryption key (ValueError if not hers)."""
    try:
        offer = json.loads(ecies.decrypt(private_key, sealed))
    except Exception as exc:  # eciespy raises several types for a wrong key
        raise ValueError(
            f"the offer cannot be decrypted with this key ({type(exc).__name__})"
        ) from None
    if not isinstance(offer, dict) or offer.get("format") != OFFER_FORMAT:
        raise ValueError("the sealed content is not a govchain offer")
    wrong = [name for name, ok in _OFFER_FIELDS.items() if not ok(offer.get(name))]
    if wrong:  # whoever sealed it (any node may seal to her published key): its own error
        raise ValueError(f"the offer is malformed ({', '.join(wrong)})")
    return offer


def _hex32(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"0x[0-9a-fA-F]{64}", value) is not None


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**64


def _time(value: Any) -> bool:
    """A time the case terms can hold (``uint40``, as the contracts' deadlines)."""
    return _whole(value) and value < 2**40


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _address(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"0x[0-9a-fA-F]{40}", value) is not None


#: every field an offer of OFFER_FORMAT holds, and what it must be (the citizen's pages and
#: commands read them without further checks)
_OFFER_FIELDS = {
    "offerId": _hex32,
    "chainId": _whole,
    "caseApprovals": _address,
    "department": _text,
    "service": _text,
    "serviceId": _hex32,
    "ruleId": _hex32,
    "benefit": _hex32,
    "citizen": _address,
    "documentsHash": _hex32,
    "stepDeadline": _time,
    "caseId": _hex32,
    "consentText": _text,
    "consentHash": _hex32,
    "requirementsHash": _hex32,
    "expires": _time,
}


@dataclass
class WatchReport:
    """What one :meth:`Watcher.watch` did."""

    services: int = 0
    #: indexed attestations read (only of the schemas and issuers the rules name)
    scanned: int = 0
    candidates: int = 0
    offered: list[str] = field(default_factory=list)
    already: int = 0
    no_key: int = 0
    #: citizens passed over this round because her key could not be read or used, one line
    #: each (``<address>: <reason>``); the round goes on, the next one tries her again
    errors: list[str] = field(default_factory=list)
    #: citizens the index shows qualifying whom the chain's ``RuleRegistry.check`` refused
    #: (or for whom every candidate attestation of a requirement has a key behind it marked
    #: compromised), one line each (``<address>: <reason>``): counted, never silent (W-3)
    unconfirmed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "services": self.services,
            "scanned": self.scanned,
            "candidates": self.candidates,
            "offered": len(self.offered),
            "offer_ids": self.offered,
            "already_offered_or_granted": self.already,
            "without_encryption_key": self.no_key,
            "errors": self.errors,
            "unconfirmed": self.unconfirmed,
        }


@dataclass
class RelayReport:
    """What one :meth:`Watcher.relay` did."""

    accepted: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "refused": self.refused}


class Watcher:
    """A department's eligibility watcher over an index and its offer box."""

    def __init__(
        self,
        connection: Connection,
        index: Engine,
        box: OfferBox,
        department: bytes,
        sender: Sender | None = None,
    ) -> None:
        self.connection = connection
        self.index = index
        self.box = box
        self.department = department
        self.sender = sender
        self.catalog = Catalog(connection)
        self.book = Rulebook(connection, sender)
        self._status: dict[bytes, str] = {}
        #: per round: attestation uid -> a key behind it marked compromised (or None)
        self._marked: dict[bytes, str | None] = {}
        #: across rounds (W-4): citizen -> (her ``changed`` block when her DID was last
        #: resolved without a usable key, why: None for no key, else the error line); not
        #: resolved again until her identity changes (time only ends keys, never adds one)
        self._keyless: dict[str, tuple[int, str | None]] = {}

    # --- finding the eligible ---------------------------------------------------------------

    def _active(self, department: bytes) -> bool:
        if department not in self._status:
            self._status[department] = self.book.cases.department_status(department)
        return self._status[department] == "Active"

    def _meets(
        self, held: list[Evidence], requirements: list[Requirement], revoked: set[bytes], now: int
    ) -> list[list[Evidence]] | None:
        """For each requirement every indexed attestation meeting it now, newest first, or None
        if a requirement has none."""
        found = []
        for req in requirements:
            usable = [
                ev
                for ev in held
                if ev.schema == req.schema
                and ev.department in req.departments
                and ev.uid not in revoked
                and (ev.expiry == 0 or ev.expiry > now)
                and now <= ev.issued_at + req.max_age
                and self._active(ev.department)
            ]
            if not usable:
                return None
            found.append(sorted(usable, key=lambda ev: ev.issued_at, reverse=True))
        return found

    def _compromised(self, ev: Evidence) -> str | None:
        """A key behind ``ev`` marked compromised, its attester or a decider of the case that
        issued it (:meth:`CaseDeciders.compromised`, what ``Rulebook.evidence`` and
        ``acceptOffer`` refuse), asked once per attestation a round."""
        if ev.uid not in self._marked:
            self._marked[ev.uid] = self.book.deciders.compromised(ev)
        return self._marked[ev.uid]

    def _choose(self, candidates: list[list[Evidence]]) -> list[Evidence] | str:
        """Per requirement the newest candidate with no key behind it marked compromised (as
        ``Rulebook.evidence`` chooses, W-3), or why a requirement has none."""
        chosen = []
        for i, usable in enumerate(candidates):
            best = next((ev for ev in usable if self._compromised(ev) is None), None)
            if best is None:
                marked = self._compromised(usable[0])
                return (
                    f"requirement {i}: each of its {len(usable)} attestation(s) has a key "
                    f"behind it marked compromised (e.g. {marked})"
                )
            chosen.append(best)
        return chosen

    @staticmethod
    def _holds_benefit(
        held: list[Evidence], service: Service, revoked: set[bytes], now: int
    ) -> bool:
        """She holds a valid benefit attestation of the department, however it was issued
        (through this service or a case decided otherwise): nothing to offer."""
        return any(
            ev.schema == service.benefit
            and ev.department == service.department
            and ev.uid not in revoked
            and (ev.expiry == 0 or ev.expiry > now)
            for ev in held
        )

    def _granted(self, service: Service, citizen: str) -> bool:
        cases = self.book.cases.contract.functions
        uid = bytes(cases.benefitOf(service.service_id, citizen).call())
        registry = self.connection.contract("AttestationRegistry")
        return uid != ZERO32 and bool(registry.functions.isValid(uid).call())

    def watch(self) -> WatchReport:
        """Offer every service of the department in force to the citizens who newly qualify."""
        report = WatchReport()
        self._status.clear()
        self._marked.clear()
        in_force: list[tuple[Service, list[Requirement]]] = []
        for service in self.catalog.services(self.department):
            active, requirements = self.book.requirements_of(service.rule_id)
            if service.active and active:
                in_force.append((service, requirements))
        from govchain.services import candidates

        # only the schemas (and issuers) these rules name, and the benefits they grant
        schemas = candidates.wanted(r for _s, reqs in in_force for r in reqs)
        for service, _reqs in in_force:
            schemas.setdefault(service.benefit, set()).add(service.department)
        scan = candidates.Scan()
        by_subject, revoked = candidates.attestations(
            self.index, self.connection.chain_id, schemas, scan
        )
        report.scanned = scan.attested
        now = self.book.cases.now()
        for service, requirements in in_force:
            report.services += 1
            sid = "0x" + service.service_id.hex()
            for citizen, held in by_subject.items():
                candidates_ = self._meets(held, requirements, revoked, now)
                if candidates_ is None:
                    continue
                report.candidates += 1
                if (
                    self.box.has(sid, citizen)
                    or self._holds_benefit(held, service, revoked, now)
                    or self._granted(service, citizen)
                ):
                    report.already += 1
                    continue
                evidence = self._choose(candidates_)
                refusal = (
                    evidence
                    if isinstance(evidence, str)
                    else self._rule_refusal(service, citizen, requirements, evidence)
                )
                if refusal is not None:
                    report.unconfirmed.append(f"{citizen}: {refusal}")
                    continue
                assert not isinstance(evidence, str)
                # her DID and key are hers to set: what fails there is her problem alone
                try:
                    key = self._key(citizen)
                    if key is None:
                        report.no_key += 1
                        continue
                    offer_id = self._offer(service, citizen, requirements, key, now)
                except (GovchainError, ValueError, RecursionError) as exc:
                    report.errors.append(f"{citizen}: {exc}")
                    continue
                if offer_id is not None:
                    report.offered.append(offer_id)
        return report

    def _key(self, citizen: str) -> bytes | None:
        """Her encryption key (:func:`encryption_key`), or None; her DID is resolved again only
        once her identity changed since it last had no usable key or could not be read (W-4:
        one ``changed`` call a round, not her whole history; the same answer each round)."""
        registry = self.connection.contract("CitizenRegistry")
        pointer = int(registry.functions.changed(validate.address(citizen)).call())
        known = self._keyless.get(citizen)
        if known is not None and known[0] == pointer:
            if known[1] is not None:
                raise GovchainError(known[1])  # the same line as when it was read
            return None
        try:
            key = encryption_key(self.connection, citizen)
        except InvalidInput as exc:
            self._keyless[citizen] = (pointer, str(exc))
            raise
        if key is None:
            self._keyless[citizen] = (pointer, None)
        else:
            self._keyless.pop(citizen, None)
        return key

    def _rule_refusal(
        self,
        service: Service,
        citizen: str,
        requirements: list[Requirement],
        evidence: list[Evidence],
    ) -> str | None:
        """``RuleRegistry.check`` at the latest block (the chain's word, not the index's):
        None if it holds, else its refusal in a plain line."""
        try:
            self.book.contract.functions.check(
                service.rule_id,
                citizen,
                [r.as_tuple() for r in requirements],
                [e.as_tuple() for e in evidence],
            ).call()
        except ContractLogicError as exc:
            data = exc.data if isinstance(exc.data, str) else None
            return f"RuleRegistry.check refused: {self.connection.decoder().refusal(data)}"
        return None

    def _offer(
        self,
        service: Service,
        citizen: str,
        requirements: list[Requirement],
        key: bytes,
        now: int,
    ) -> str | None:
        deadline = now + OFFER_VALIDITY
        terms = service_terms(service, citizen, deadline)
        text = consent_text(code_text(service.department), code_text(service.name), requirements)
        offer_id = "0x" + secrets.token_bytes(32).hex()
        sid = "0x" + service.service_id.hex()
        documents = "0x" + terms.documents_hash.hex()
        offer = {
            "format": OFFER_FORMAT,
            "offerId": offer_id,
            "chainId": self.connection.chain_id,
            "caseApprovals": self.book.cases.contract.address,
            "department": code_text(service.department),
            "service": code_text(service.name),
            "serviceId": sid,
            "ruleId": "0x" + service.rule_id.hex(),
            "benefit": "0x" + service.benefit.hex(),
            "citizen": citizen,
            "documentsHash": documents,
            "stepDeadline": deadline,
            "caseId": "0x" + terms.case_id().hex(),
            "consentText": text,
            "consentHash": "0x" + consent_hash(text).hex(),
            "requirementsHash": "0x" + requirements_hash(requirements).hex(),
            "expires": deadline,
        }
        try:
            sealed = ecies.encrypt(key, json.dumps(offer, sort_keys=True).encode())
        except ValueError:
            raise InvalidInput("encryption key", "0x" + key.hex(), "not a secp256k1 key") from None
        added = self.box.add(offer_id, sid, citizen, deadline, sealed, documents, deadline)
        return offer_id if added else None

    # --- relaying acceptances ---------------------------------------------------------------

    def relay(self) -> RelayReport:
        """Send every signed acceptance in the box (the department's STAFF key pays)."""
        if self.sender is None:
            raise GovchainError("relaying sends transactions: give the watcher a Sender")
        from govchain.services.offerbox import ACCEPTED, SIGNED

        report = RelayReport()
        for row in self.box.of_state(SIGNED):
            try:
                outcome = self._relay_one(row)
            except (GovchainError, ValueError, KeyError, TypeError, RecursionError) as exc:
                # one row's failure is that row's refusal (recorded with its reason): the
                # acceptances after it are still sent, this round and the next
                outcome = self._refuse(row, row.case_id, f"{type(exc).__name__}: {exc}")
            (report.accepted if outcome["state"] == ACCEPTED else report.refused).append(outcome)
        return report

    def _refuse(self, row: StoredOffer, case_id: str | None, reason: str) -> dict[str, Any]:
        from govchain.services.offerbox import REFUSED

        self.box.settle(row.offer_id, REFUSED, case_id, reason)
        return {"offer_id": row.offer_id, "case_id": case_id, "state": REFUSED, "reason": reason}

    def _relay_one(self, row: StoredOffer) -> dict[str, Any]:
        from govchain.services.offerbox import ACCEPTED, REFUSED

        service = self.catalog.by_id(bytes.fromhex(row.service_id[2:]))
        terms = service_terms(
            service, row.citizen, row.step_deadline, bytes.fromhex(row.documents_hash[2:])
        )
        case_id = "0x" + terms.case_id().hex()
        out: dict[str, Any] = {"offer_id": row.offer_id, "case_id": case_id}
        # a crash after sending and before settling: the case is on chain already
        if self.book.cases.contract.functions.caseOf(terms.case_id()).call()[0] != 0:
            self.box.settle(row.offer_id, ACCEPTED, case_id)
            return out | {"state": ACCEPTED}
        a = json.loads(row.acceptance or "{}")
        if not isinstance(a, dict):
            return self._refuse(row, case_id, "the acceptance is malformed (not an object)")
        try:
            signed_rule = _bytes32(a.get("requirementsHash"))
        except ValueError as exc:
            return self._refuse(row, case_id, f"the acceptance is malformed ({exc})")
        in_force = bytes(self.book.contract.functions.ruleOf(service.rule_id).call()[1])
        if signed_rule != in_force:
            reason = (
                f"the rule of service {code_text(service.name)} changed since the offer: "
                "her consent does not cover its version in force (a new offer is needed)"
            )
            self.box.settle(row.offer_id, REFUSED, case_id, reason)
            return out | {"state": REFUSED, "reason": reason}
        try:
            signed = (
                validate.address(a["signer"]),
                service.service_id,
                _bytes32(a["consentHash"]),
                signed_rule,
                int(a["deadline"]),
                bytes.fromhex(str(a["signature"]).removeprefix("0x")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            return self._refuse(row, case_id, f"the acceptance is malformed ({exc})")
        started = time.monotonic()
        try:
            receipt = self.book.accept(terms, signed)
        except GovchainError as exc:
            self.box.settle(row.offer_id, REFUSED, case_id, str(exc))
            return out | {"state": REFUSED, "reason": str(exc)}
        self.box.settle(row.offer_id, ACCEPTED, case_id)
        return out | {
            "state": ACCEPTED,
            "tx_hash": "0x" + bytes(receipt["transactionHash"]).hex(),
            "block": int(receipt["blockNumber"]),
            "gas": int(receipt["gasUsed"]),
            "seconds": round(time.monotonic() - started, 3),
        }


def _bytes32(value: object) -> bytes:
    """A 0x-hex 32-byte value of an acceptance (ValueError otherwise)."""
    raw = bytes.fromhex(str(value).removeprefix("0x"))
    if len(raw) != 32:
        raise ValueError(f"{value!r:.80} is not 32 bytes")
    return raw


def acceptance_domain(connection: Connection) -> Any:
    """The ``CaseApprovals`` EIP-712 domain an acceptance is signed on."""
    return cases_domain(connection.chain_id, connection.deployment.address("CaseApprovals"))
