"""The joined machine's moves that touch the chain: each predicts its outcome from the model,
asks the contract's own view where there is one, sends, and checks what was mined."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ape

from govchain.approval import CaseTerms
from govchain.services.offers import consent_hash, consent_text
from govchain.services.rules import Evidence, Requirement, proof, requirements_hash
from govchain.sharing import category_code, grant_id, grant_tuple
from tests.approval.conftest import DAY, h
from tests.machines.model import ZERO32, Access, Fact, GrantModel
from tests.machines.raw import Raw
from tests.sharing.conftest import make_terms, sign_consent

Refusal = tuple[str, dict[str, Any]] | None

_ACCESS_ERRORS = {
    Access.UNKNOWN: "AccessGrantUnknown",
    Access.REVOKED: "AccessGrantRevoked",
    Access.PREVIOUS_OWNER_CONSENT: "AccessGrantPreviousOwnerConsent",
    Access.NOT_YET_VALID: "AccessGrantNotYetValid",
    Access.EXPIRED: "AccessGrantExpired",
    Access.NOT_STAFF: "AccessGrantNotStaff",
    Access.GRANTEE_INACTIVE: "AccessGrantNotStaff",
    Access.NOT_COVERED: "AccessGrantCategoryNotCovered",
    Access.NOT_SHARED: "AccessGrantCategoryNotShared",
    Access.USED_UP: "AccessGrantUsesExhausted",
}


def access_error(
    status: Access, g: GrantModel, category: bytes, member: str
) -> tuple[str, dict[str, Any]]:
    """The custom error ``recordAccess`` raises for ``status`` and its arguments."""
    gid = grant_id(g.terms)
    kws: dict[Access, dict[str, Any]] = {
        Access.UNKNOWN: {"grantId": gid},
        Access.REVOKED: {"grantId": gid},
        Access.PREVIOUS_OWNER_CONSENT: {"grantId": gid, "grantEpoch": g.epoch},
        Access.NOT_YET_VALID: {"grantId": gid, "validFrom": g.terms["validFrom"]},
        Access.EXPIRED: {"grantId": gid, "validUntil": g.terms["validUntil"]},
        Access.NOT_STAFF: {"account": member, "department": g.terms["grantee"]},
        Access.GRANTEE_INACTIVE: {"account": member, "department": g.terms["grantee"]},
        Access.NOT_COVERED: {"grantId": gid, "category": category},
        Access.NOT_SHARED: {"category": category},
        Access.USED_UP: {"grantId": gid, "maxUses": g.terms["maxUses"]},
    }
    return _ACCESS_ERRORS[status], kws[status]


@dataclass
class Deps:
    """The deployment and the fixed names the moves use."""

    grants: Any
    approvals: Any
    attestations: Any
    rule_registry: Any
    catalog: Any
    chain: Any
    depts: dict[str, Any]
    citizens: list[Any]
    keys: dict[int, list[Any]]
    grants_domain: Any
    rid: bytes
    sid: bytes
    names_of: dict[bytes, str]
    relayer: Any
    outsider: Any
    count: Callable[..., None]


class Sides:
    """Moves of the machine ``m`` (its model ``m.world``, its clock ``m._tick``)."""

    def __init__(self, m: Any, d: Deps) -> None:
        self.m = m
        self.d = d
        self.raw = Raw(d.chain.provider.web3)

    def attempt(
        self, predict: Callable[[int], Refusal], contract: Any, method: str, *args: Any, sender: Any
    ) -> tuple[Any, int] | str:
        """Predict at the head block; a refusal is asked by ``eth_call`` there (nothing mined,
        no trace fetched), anything else is sent and mined one second later (predicted again
        for that block). Returns (receipt, block time) or the refusal's error name."""
        m = self.m
        fn = getattr(contract, method)
        refusal = predict(m.head())
        if refusal is None:
            t = m._tick()
            refusal = predict(t)
            if refusal is None:
                return fn(*args, sender=sender), t
            with ape.reverts(getattr(contract, refusal[0]), **refusal[1]):
                fn(*args, sender=sender)
            return refusal[0]
        self.raw.reverts(contract, method, args, sender, *refusal)
        return refusal[0]

    # --- sharing --------------------------------------------------------------------------------

    def grant(
        self, who: int, grantee: str, names: set[str], start: int, days: int, max_uses: int,
        by_signature: bool, old_key: bool,
    ) -> None:  # fmt: skip
        m, d, w = self.m, self.d, self.m.world
        m.n += 1
        now = m.head()
        codes = [category_code(n) if n != "*" else d.depts["HRSS"].code for n in sorted(names)]
        terms = make_terms(
            d.citizens[who], d.depts[grantee].code, d.depts["HRSS"].code, codes, now,
            valid_from=now + start * DAY, days=days, max_uses=max_uses, nonce=m.n,
        )  # fmt: skip
        current = m.key_of(who)
        signer = current
        if old_key:
            signer = d.keys[who][1 - m.owner_key[who]] if who in d.keys else d.citizens[3]

        def predict(t: int) -> Refusal:
            if signer.address != current.address:
                return "AccessGrantNotSubjectController", {"account": signer.address}
            if terms["validUntil"] <= t:
                return "AccessGrantInvalidWindow", {}
            if grantee in w.suspended:
                return "AccessGrantGranteeInactive", {"grantee": terms["grantee"]}
            if "HRSS.INTERNAL" in names:
                return "AccessGrantCategoryNotShared", {"category": category_code("HRSS.INTERNAL")}
            return None

        if by_signature:
            sig = sign_consent(d.grants_domain, signer, terms, now + DAY)
            args: tuple[Any, ...] = (grant_tuple(terms), signer, now + DAY, sig)
            out = self.attempt(predict, d.grants, "grantBySignature", *args, sender=d.relayer)
        else:
            out = self.attempt(predict, d.grants, "grant", grant_tuple(terms), sender=signer)
        if isinstance(out, str):
            d.count(f"grant refused: {out}")
            return
        g = GrantModel(terms, grantee, frozenset(names), w.epochs.get(who, 0), signer, who)
        w.grants.append(g)
        d.count("grant given" + (" by signature" if by_signature else ""))
        # the grantee's first use, as in practice right after a grant
        first = sorted(names)[0]
        self.access(g, "HRSS.PENSION" if first == "*" else first, m.staff(grantee))

    def revoke(self, g: GrantModel, by_terms: bool) -> None:
        d = self.d
        gid = grant_id(g.terms)

        def predict(t: int) -> Refusal:
            return None if g.revoked_at is None else ("AccessGrantRevoked", {"grantId": gid})

        if by_terms:  # the identity's current key (or agent) revokes by the terms
            sender = self.m.key_of(g.who)
            out = self.attempt(
                predict, d.grants, "revokeByTerms", grant_tuple(g.terms), sender=sender
            )
        else:  # the key that gave the consent, whether or not it still controls the identity
            out = self.attempt(predict, d.grants, "revoke", gid, sender=g.grantor)
        if not isinstance(out, str):
            g.revoked_at = out[1]
            d.count("grant revoked")

    def access(self, g: GrantModel, name: str, member: Any) -> None:
        m, d, w = self.m, self.d, self.m.world
        cat = category_code(name)
        view = d.grants.accessStatus(grant_tuple(g.terms), cat, member)
        assert Access(view) == w.access(g, name, member.address, m.head()), (g, name, member)

        def predict(t: int) -> Refusal:
            status = w.access(g, name, member.address, t)
            return None if status == Access.LIVE else access_error(status, g, cat, member.address)

        args = (grant_tuple(g.terms), cat, h("request"))
        out = self.attempt(predict, d.grants, "recordAccess", *args, sender=member)
        if isinstance(out, str):
            d.count(f"access refused: {out}")
            return
        tx, t = out
        [ev] = tx.decode_logs(d.grants.AccessRecorded)
        assert (ev.grantId, ev.category, ev.member) == (grant_id(g.terms), cat, member.address)
        assert ev.grantee == g.terms["grantee"] and ev.subject == g.terms["subject"]
        if g.terms["maxUses"]:
            g.uses += 1
        m.accesses.append((t, g, name, member.address))
        d.count("access recorded")

    def anchor(self, record: int, offset: int) -> None:
        m, d = self.m, self.d
        latest = m.anchors.get(record, 0)
        version = latest + offset
        staff = d.depts["HRSS"].staff
        pension, rid = category_code("HRSS.PENSION"), h(f"record {record}")

        def predict(t: int) -> Refusal:
            if "HRSS" in m.world.suspended:
                return "AnchorNotPublisher", {"account": staff.address}
            if version == 0:
                return "AnchorZeroVersion", {}
            if version <= latest:
                return "AnchorVersionExists", {"version": version}
            if version > latest + 1:
                return "AnchorVersionGap", {"version": version}
            return None

        args = (pension, rid, version, h(f"{record} {version}"))
        out = self.attempt(predict, d.catalog, "anchorRecord", *args, sender=staff)
        if isinstance(out, str):
            d.count(f"anchor refused: {out}")
            return
        m.anchors[record] = version
        assert d.catalog.latestVersion(pension, rid) == version
        d.count("record anchored")

    # --- attestations and RULE steps -------------------------------------------------------------

    def attest(self, dept: str, staff: Any, args: tuple[Any, ...], expiry: int) -> Fact | None:
        m, d = self.m, self.d

        def predict(t: int) -> Refusal:
            if dept in m.world.suspended:
                return "AttestationUnauthorized", {"account": staff.address}
            return None

        out = self.attempt(predict, d.attestations, "attest", *args, expiry, ZERO32, sender=staff)
        if isinstance(out, str):
            d.count("attestation refused: issuer suspended")
            return None
        receipt, t = out
        [log] = receipt.decode_logs(d.attestations.Attested)
        return Fact(Evidence.from_event(dict(log.event_arguments), t), dept)

    def evidence(
        self, subject: str, reqs: list[Requirement], picks: list[int], best: bool
    ) -> list[Fact]:
        """Arbitrary facts, or (``best``) what an honest client picks: the newest matching
        attestation, a live one if any."""
        m = self.m
        chosen = [m.facts[picks[i % len(picks)] % len(m.facts)] for i in range(len(reqs))]
        if best:
            for i, req in enumerate(reqs):
                matching = [
                    f for f in m.facts
                    if f.evidence.schema == req.schema and f.evidence.subject == subject
                    and f.evidence.department in req.departments
                ]  # fmt: skip
                live = [
                    f for f in matching
                    if f.revoked_at is None and f.dept not in m.world.suspended
                    and (f.evidence.expiry == 0 or f.evidence.expiry > m.t + 1)
                ]  # fmt: skip
                if live or matching:
                    chosen[i] = (live or matching)[-1]
        return chosen

    def rule_refusal(
        self, subject: str, given: list[Requirement], chosen: list[Fact], t: int
    ) -> Refusal:
        m, d = self.m, self.d
        refusal = m.world.rule_refusal(
            m.rule_in_force, "CIVIL", m.requirements[m.version], given, subject, chosen,
            d.names_of, t,
        )  # fmt: skip
        if refusal is None:
            return None
        name, kw = refusal
        if name in ("RuleNotInForce", "RuleRequirementsMismatch"):
            kw = {"ruleId": d.rid}
        elif name == "RuleDepartmentNotActive":
            kw = {"department": d.depts["CIVIL"].code}
        return name, kw

    def check_view(self, subject: str, given: list[Requirement], chosen: list[Fact]) -> None:
        """``RuleRegistry.check`` at the head block answers as the model does."""
        m, d = self.m, self.d
        args = (
            d.rid,
            subject,
            [r.as_tuple() for r in given],
            [f.evidence.as_tuple() for f in chosen],
        )
        refusal = self.rule_refusal(subject, given, chosen, m.head())
        if refusal is None:
            version, uids = d.rule_registry.check(*args)
            assert version == m.version
            assert list(uids) == [f.evidence.uid for f in chosen]
        else:
            self.raw.reverts(d.rule_registry, "check", args, d.relayer, *refusal)

    def _decided(self, receipt: Any, terms: CaseTerms, chosen: list[Fact], t: int) -> int:
        m, d = self.m, self.d
        [decided] = receipt.decode_logs(d.approvals.StepDecidedByRule)
        assert decided.ruleId == d.rid and decided.version == m.version
        assert list(decided.attestationUids) == [f.evidence.uid for f in chosen]
        m.decisions.append((t, m.version, terms.applicant_citizen, chosen))
        view = d.approvals.caseOf(terms.case_id())
        assert view.status == 2  # Approved
        if terms.schema != ZERO32:
            assert d.attestations.isValid(view.outcome)
        d.count("step decided by rule")
        return int(decided.version)

    def open_case(self, terms: CaseTerms, at_once: bool, picks: list[int]) -> None:
        m, d = self.m, self.d
        staff = d.depts["CIVIL"].staff
        subject = terms.applicant_citizen
        given = m.requirements[m.version]
        chosen = self.evidence(subject, given, picks, True) if m.facts else []
        if at_once and not chosen:
            return
        if at_once:
            self.check_view(subject, given, chosen)

        def predict(t: int) -> Refusal:
            if "CIVIL" in m.world.suspended:
                return "ApprovalNotStaff", {"account": staff.address}
            if not at_once:
                return self.authority_refusal(terms, t)
            return (
                self.authority_refusal(terms, t)
                or self.rule_refusal(subject, given, chosen, t)
                or self.benefit_refusal(terms, t)
            )

        if at_once:
            proofs = [proof(given, [f.evidence for f in chosen])]
            args: tuple[Any, ...] = (terms.as_tuple(), proofs)
            out = self.attempt(predict, d.approvals, "openCaseByRule", *args, sender=staff)
        else:
            out = self.attempt(predict, d.approvals, "openCase", terms.as_tuple(), sender=staff)
        if isinstance(out, str):
            d.count(f"rule refused: {out}" if at_once else "case refused")
            return
        if at_once:
            self._decided(out[0], terms, chosen, out[1])
            self._benefit_outside_offers(terms)
        else:
            m.cases.append(terms)

    def decide(self, terms: CaseTerms, picks: list[int], best: bool, stale: bool) -> None:
        m, d = self.m, self.d
        subject = terms.applicant_citizen
        given = m.requirements[m.version]
        if stale:
            given = m.alternatives[given == m.alternatives[0]]
        chosen = self.evidence(subject, given, picks, best)
        self.check_view(subject, given, chosen)

        def predict(t: int) -> Refusal:
            return (
                self.rule_refusal(subject, given, chosen, t)
                or self.authority_refusal(terms, t)
                or self.benefit_refusal(terms, t)
            )

        args = (terms.case_id(), terms.as_tuple(), [proof(given, [f.evidence for f in chosen])])
        out = self.attempt(predict, d.approvals, "decideByRule", *args, sender=d.outsider)
        if isinstance(out, str):
            d.count(f"rule refused: {out}")
            return
        self._decided(out[0], terms, chosen, out[1])
        m.cases.remove(terms)
        self._benefit_outside_offers(terms)

    def _benefit_outside_offers(self, terms: CaseTerms) -> None:
        """A case with the service's rule and benefit schema decided outside ``acceptOffer``
        issues the benefit too."""
        if terms.schema == ZERO32:
            return
        d = self.d
        who = next(i for i, c in enumerate(d.citizens) if c.address == terms.applicant_citizen)
        uid = d.approvals.caseOf(terms.case_id()).outcome
        self.m.other.setdefault(who, []).append(uid)
        assert d.approvals.benefitOf(d.sid, terms.applicant_citizen) == uid

    def authority_refusal(self, terms: CaseTerms, t: int) -> Refusal:
        """(f) a RULE step issues the benefit only while a service in force binds its rule to it
        (the approvers signed the rule's requirements, never a benefit), (g) and valid for no
        longer than the service says from ``t``: checked at opening and when the step issues."""
        if terms.schema == ZERO32:
            return None
        rule = terms.route[0].department
        if not self.m.service:
            return "ApprovalRuleNotForSchema", {"ruleId": rule, "schema": terms.schema}
        valid, expiry = self.m.valid_for, terms.attestation_expiry
        if valid and expiry and expiry > t + valid:
            return "ApprovalBenefitExpiryNotAllowed", {"ruleId": rule, "expiry": expiry}
        return None

    def benefit_refusal(self, terms: CaseTerms, t: int) -> Refusal:
        """(d) a case issuing the benefit on a rule's authority issues no second one valid at
        ``t``, however opened."""
        if terms.schema == ZERO32:
            return None
        d = self.d
        who = next(i for i, c in enumerate(d.citizens) if c.address == terms.applicant_citizen)
        valid = self.m.valid_benefits(who, t)
        if not valid:
            return None
        civil = d.depts["CIVIL"].code
        kw = {"department": civil, "schema": terms.schema, "citizen": terms.applicant_citizen}
        return "BenefitAlreadyGranted", kw | {"uid": valid[0]}

    # --- offers ---------------------------------------------------------------------------------

    def offer_refusal(self, offer: Any, t: int | None = None) -> Refusal:
        m, d = self.m, self.d
        identity = d.citizens[offer.who].address
        signer = offer.signed[0]
        if signer != m.key_of(offer.who).address:
            return "OfferUnauthorizedSigner", {"signer": signer, "citizen": identity}
        if not m.service:
            return "OfferServiceNotInForce", {"serviceId": d.sid}
        in_force = requirements_hash(m.requirements[m.version])
        if offer.requirements != in_force:
            kw = {"serviceId": d.sid, "signed": offer.requirements, "inForce": in_force}
            return "OfferRuleChanged", kw
        if m.valid_benefits(offer.who, t):
            latest = d.approvals.benefitOf(d.sid, identity)
            return "OfferAlreadyGranted", {"serviceId": d.sid, "citizen": identity, "uid": latest}
        if "CIVIL" in m.world.suspended:
            return "ApprovalNotStaff", {"account": d.depts["CIVIL"].staff.address}
        if offer.accepted_at is not None:
            return "ApprovalCaseExists", {"caseId": offer.terms.case_id()}
        return None

    def accept(self, offer: Any, picks: list[int]) -> None:
        m, d = self.m, self.d
        identity = d.citizens[offer.who].address
        given = m.requirements[m.version]
        if not m.facts:
            return
        chosen = self.evidence(identity, given, picks, True)
        self.check_view(identity, given, chosen)

        def predict(t: int) -> Refusal:
            return self.offer_refusal(offer, t) or self.rule_refusal(identity, given, chosen, t)

        args = (offer.terms.as_tuple(), [proof(given, [f.evidence for f in chosen])], offer.signed)
        staff = d.depts["CIVIL"].staff
        out = self.attempt(predict, d.approvals, "acceptOffer", *args, sender=staff)
        if isinstance(out, str):
            d.count(f"offer refused: {out}")
            if out.startswith("Rule"):
                d.count(f"rule refused: {out}")
            return
        receipt, t = out
        [accepted] = receipt.decode_logs(d.approvals.OfferAccepted)
        assert accepted.consentHash == offer.consent and accepted.citizen == identity
        offer.decided_version = self._decided(receipt, offer.terms, chosen, t)
        uid = d.approvals.benefitOf(d.sid, identity)
        assert d.attestations.isValid(uid)
        offer.accepted_at = t
        m.benefits.setdefault(offer.who, []).append(uid)
        d.count("offer granted")

    def replay(self, offer: Any) -> None:
        """An accepted acceptance relayed again: always refused."""
        m, d = self.m, self.d
        identity = d.citizens[offer.who].address
        given = m.requirements[m.version]
        chosen = self.evidence(identity, given, [0, 0, 0], True)
        refusal = self.offer_refusal(offer)
        assert refusal is not None
        args = (offer.terms.as_tuple(), [proof(given, [f.evidence for f in chosen])], offer.signed)
        staff = d.depts["CIVIL"].staff
        out = self.attempt(lambda t: refusal, d.approvals, "acceptOffer", *args, sender=staff)
        assert isinstance(out, str)
        d.count(f"replay refused: {out}")

    def consent_covers(self, offer: Any) -> bool:
        """(e) the consent names exactly the schemas of the rule version that decided it."""
        reqs = self.m.requirements[offer.decided_version]
        return bool(offer.consent == consent_hash(consent_text("CIVIL", "allowance", reqs)))
