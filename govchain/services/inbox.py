"""The citizen's side of offers (免申即享): list her sealed offers at a department's node, open
them with her encryption key, and accept one with her one ``AcceptOffer`` signature.

She sends no transaction and pays nothing: the signed acceptance goes to the offering
department's node, whose relayer (``govchain offer watch``) sends ``acceptOffer``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from govchain.approval.messages import domain as cases_domain
from govchain.node.client import CitizenClient, answer_items
from govchain.node.protocol import unb64
from govchain.services.catalog import Service, service_terms
from govchain.services.offers import ACCEPT_OFFER, acceptance_message, consent_hash
from govchain.services.watcher import open_offer
from govchain.sharing.acceptance import BAD_PROOF, RecordTampered

#: How long a signed acceptance stays valid for the relayer.
ACCEPTANCE_VALIDITY = 7 * 86400


@dataclass(frozen=True)
class HeldOffer:
    """One offer as the node lists it, and its opened content (None if not openable)."""

    offer_id: str
    state: str
    case_id: str | None
    reason: str | None
    content: dict[str, Any] | None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "offer_id": self.offer_id,
            "state": self.state,
            "case_id": self.case_id,
        }
        if self.reason:
            out["reason"] = self.reason
        if self.content is not None:
            for key in ("department", "service", "serviceId", "benefit", "consentText", "expires"):
                out[key] = self.content.get(key)
        if self.error:
            out["error"] = self.error
        return out


class OfferInbox(CitizenClient):
    """A citizen's offers at departments' nodes; ``account`` controls the identity and its key
    opens the sealed offers (her published encryption key)."""

    def list_offers(self, node_url: str, department: bytes) -> list[HeldOffer]:
        # the node's offers module loads FastAPI: imported when a citizen's command asks a node
        from govchain.node.offers import OFFERS_CATEGORY, ZERO32

        answer = self._post(
            node_url.rstrip("/") + "/v1/offers/list",
            self._signed(OFFERS_CATEGORY, ZERO32, department),
        )
        out = []
        for item in answer_items(answer, "offers"):
            # the answer's shape, at the boundary: one node's bad answer is its own error
            texts = [item.get(k) for k in ("offerId", "state", "sealed")]
            optional = [item.get(k) for k in ("caseId", "reason")]
            if not all(isinstance(t, str) for t in texts) or not all(
                t is None or isinstance(t, str) for t in optional
            ):
                raise RecordTampered("the node's answer is malformed (offers)", BAD_PROOF)
            content, error = None, None
            try:
                content = open_offer(self.account.key, unb64(str(item["sealed"])))
            except ValueError as exc:
                error = str(exc)
            out.append(
                HeldOffer(
                    str(item["offerId"]),
                    str(item["state"]),
                    item.get("caseId"),
                    item.get("reason"),
                    content,
                    error,
                )
            )
        return out

    def accept(
        self, node_url: str, department: bytes, offer: dict[str, Any], deadline: int | None = None
    ) -> dict[str, Any]:
        """Sign ``AcceptOffer`` for the opened ``offer`` and leave it at the node for relaying."""
        from govchain.node.offers import OFFERS_CATEGORY

        if int(offer["chainId"]) != self.chain.chain_id:  # her signature stays on her chain
            raise ValueError(f"the offer is for another chain (id {offer['chainId']})")
        service = Service(
            bytes.fromhex(offer["serviceId"][2:]),
            department,
            str(offer["service"]).encode(),
            bytes.fromhex(offer["ruleId"][2:]),
            bytes.fromhex(offer["benefit"][2:]),
            0,
            True,
        )
        terms = service_terms(
            service,
            self.identity,
            int(offer["stepDeadline"]),
            bytes.fromhex(offer["documentsHash"][2:]),
        )
        if "0x" + terms.case_id().hex() != offer["caseId"]:
            raise ValueError("the offer's terms do not hash to its case id")
        if "0x" + consent_hash(str(offer["consentText"])).hex() != offer["consentHash"]:
            raise ValueError("the offer's consent hash is not that of its consent text")
        until = int(time.time()) + ACCEPTANCE_VALIDITY if deadline is None else deadline
        consent = bytes.fromhex(offer["consentHash"][2:])
        if not str(offer.get("requirementsHash", "")).startswith("0x"):
            raise ValueError("the offer does not say which rule requirements it was made for")
        requirements = bytes.fromhex(str(offer["requirementsHash"])[2:])
        dom = cases_domain(int(offer["chainId"]), str(offer["caseApprovals"]))
        msg = acceptance_message(service.service_id, terms, consent, requirements, until)
        signature = ACCEPT_OFFER.sign(self.account.key, dom, msg)
        body = self._signed(OFFERS_CATEGORY, bytes.fromhex(offer["offerId"][2:]), department)
        body["acceptance"] = {
            "signer": self.account.address,
            "consentHash": offer["consentHash"],
            "requirementsHash": offer["requirementsHash"],
            "deadline": until,
            "signature": "0x" + signature.hex(),
        }
        return self._post(node_url.rstrip("/") + "/v1/offers/accept", body)
