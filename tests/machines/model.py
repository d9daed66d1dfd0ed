"""The joined machine's model: what the world is (departments, keys, owner epochs, grants,
attestations, rules) and what each contract should answer in it, written from the contracts'
documented rules, never read back from the contracts.

Every prediction is a function of the model and a block time, so the machine can ask it for the
block a view call reads (the head) and for the block a transaction is mined in (the pending
one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from govchain.approval import CaseTerms
from govchain.services.rules import Evidence, Requirement

ZERO32 = b"\0" * 32


class Access(IntEnum):
    """``IAccessGrants.AccessStatus``, in the contract's order."""

    UNKNOWN = 0
    LIVE = 1
    REVOKED = 2
    PREVIOUS_OWNER_CONSENT = 3
    NOT_YET_VALID = 4
    EXPIRED = 5
    NOT_STAFF = 6
    GRANTEE_INACTIVE = 7
    NOT_COVERED = 8
    NOT_SHARED = 9
    USED_UP = 10


@dataclass(frozen=True)
class Category:
    owner: str
    shared: bool  # not NotShared
    sensitive: bool


@dataclass
class GrantModel:
    terms: dict[str, Any]
    grantee: str
    names: frozenset[str]  # category names, "*" for owner-wide (the owner's code as a category)
    epoch: int  # the subject's owner epoch the consent was given under
    grantor: Any
    who: int
    revoked_at: int | None = None
    uses: int = 0


@dataclass
class Fact:
    """An attestation the machine issued: its uid preimage and who issued it."""

    evidence: Evidence
    dept: str
    revoked_at: int | None = None


@dataclass
class Offer:
    """An offer sealed for citizen ``who`` and her signed acceptance, relayed later (or never)."""

    terms: CaseTerms
    signed: tuple[Any, ...]
    who: int
    version: int  # the rule version whose requirements the consent text names
    consent: bytes
    requirements: bytes  # the hash of those requirements, signed in the acceptance
    accepted_at: int | None = None
    decided_version: int = 0


@dataclass
class Membership:
    """A key of interest: its department and roles while it is a member (None: not a member)."""

    dept: str | None
    roles: int


@dataclass
class Span:
    """When something held: from ``start`` until ``end`` (None: still holds)."""

    start: int
    end: int | None = None

    def covers(self, t: int) -> bool:
        return self.start <= t and (self.end is None or t < self.end)


@dataclass
class World:
    categories: dict[str, Category]
    owner: str  # the department whose data the grants name
    suspended: set[str] = field(default_factory=set)
    members: dict[str, Membership] = field(default_factory=dict)  # address -> membership
    epochs: dict[int, int] = field(default_factory=dict)  # citizen -> owner epoch
    grants: list[GrantModel] = field(default_factory=list)
    # history, for the invariants over recorded accesses: spans a key was an active STAFF of its
    # department, spans a department was Active, owner epochs by time
    staff_spans: dict[str, list[Span]] = field(default_factory=dict)
    active_spans: dict[str, list[Span]] = field(default_factory=dict)
    epoch_changes: dict[int, list[int]] = field(default_factory=dict)  # citizen -> change times

    # --- departments and keys -------------------------------------------------------------------

    def is_active_staff(self, address: str, dept: str) -> bool:
        m = self.members.get(address)
        return m is not None and m.dept == dept and bool(m.roles & 1) and dept not in self.suspended

    def join(self, address: str, dept: str, roles: int, t: int) -> None:
        self.members[address] = Membership(dept, roles)
        if roles & 1:
            self.staff_spans.setdefault(address, []).append(Span(t))

    def leave(self, address: str, t: int) -> None:
        self.members[address] = Membership(None, 0)
        for span in self.staff_spans.get(address, []):
            if span.end is None:
                span.end = t

    def suspend(self, dept: str, t: int) -> None:
        self.suspended.add(dept)
        for span in self.active_spans.setdefault(dept, [Span(0)]):
            if span.end is None:
                span.end = t

    def reinstate(self, dept: str, t: int) -> None:
        self.suspended.discard(dept)
        self.active_spans.setdefault(dept, [Span(0)]).append(Span(t))

    def rotate_owner(self, who: int, t: int) -> None:
        self.epochs[who] = self.epochs.get(who, 0) + 1
        self.epoch_changes.setdefault(who, []).append(t)

    # --- grants -----------------------------------------------------------------------------------

    def access(self, g: GrantModel, category: str, member: str, t: int) -> Access:
        """What ``accessStatus(terms, category, member)`` answers at block time ``t``."""
        if g.revoked_at is not None:
            return Access.REVOKED
        if g.epoch != self.epochs.get(g.who, 0):
            return Access.PREVIOUS_OWNER_CONSENT
        if t < g.terms["validFrom"]:
            return Access.NOT_YET_VALID
        if t >= g.terms["validUntil"]:
            return Access.EXPIRED
        if not self.is_active_staff(member, g.grantee):
            return Access.GRANTEE_INACTIVE if g.grantee in self.suspended else Access.NOT_STAFF
        cat = self.categories[category]
        if category in g.names:
            if not cat.shared:
                return Access.NOT_SHARED
        else:
            if "*" not in g.names or cat.owner != self.owner or cat.sensitive:
                return Access.NOT_COVERED
            if not cat.shared:
                return Access.NOT_SHARED
        if g.terms["maxUses"] and g.uses >= g.terms["maxUses"]:
            return Access.USED_UP
        return Access.LIVE

    def right_held(self, g: GrantModel, category: str, member: str, t: int) -> bool:
        """From the history alone: at time ``t`` the grant was unrevoked, inside its window,
        given under the subject's owner epoch then, covering ``category``, and ``member`` an
        active STAFF of an Active grantee (invariants a and b)."""
        if g.revoked_at is not None and g.revoked_at <= t:
            return False
        if not g.terms["validFrom"] <= t < g.terms["validUntil"]:
            return False
        epoch_then = sum(1 for c in self.epoch_changes.get(g.who, []) if c <= t)
        if epoch_then != g.epoch:
            return False
        if not any(s.covers(t) for s in self.staff_spans.get(member, [])):
            return False
        if not any(s.covers(t) for s in self.active_spans.get(g.grantee, [Span(0)])):
            return False
        cat = self.categories[category]
        named = category in g.names or ("*" in g.names and cat.owner == self.owner)
        return named and cat.shared and not (category not in g.names and cat.sensitive)

    # --- rules ------------------------------------------------------------------------------------

    def rule_refusal(
        self,
        in_force: bool,
        rule_dept: str,
        requirements: list[Requirement],
        given: list[Requirement],
        subject: str,
        chosen: list[Fact],
        codes: dict[bytes, str],
        t: int,
    ) -> tuple[str, dict[str, Any]] | None:
        """The error ``RuleRegistry.check`` (and a RULE decision) raises at time ``t``, in the
        order RuleCheckLib checks, or None when the evidence decides."""
        if not in_force:
            return "RuleNotInForce", {}
        if given != requirements:
            return "RuleRequirementsMismatch", {}
        if rule_dept in self.suspended:
            return "RuleDepartmentNotActive", {}
        if len(chosen) != len(requirements):
            return "RuleEvidenceCount", {}
        for req, fact in zip(requirements, chosen, strict=True):
            ev = fact.evidence
            if ev.subject != subject:
                return "RuleWrongSubject", {"subject": ev.subject}
            if ev.schema != req.schema:
                return "RuleWrongSchema", {}
            if ev.department not in req.departments:
                return "RuleIssuerNotNamed", {"department": ev.department}
            if codes[ev.department] in self.suspended:
                return "RuleIssuerNotActive", {}
            if ev.expiry != 0 and ev.expiry <= t:
                return "RuleAttestationExpired", {"expiry": ev.expiry}
            if fact.revoked_at is not None:
                return "RuleAttestationNotFound", {}
            if t > ev.issued_at + req.max_age:
                return "RuleAttestationTooOld", {}
        return None

    def fact_decides(
        self, req: Requirement, fact: Fact, subject: str, codes: dict[bytes, str], t: int
    ) -> bool:
        """From the history alone (invariant c): at time ``t`` the attestation was of the
        subject and schema, unrevoked, unexpired, young enough, by a named department Active
        then."""
        ev = fact.evidence
        dept = codes[ev.department]
        return (
            ev.subject == subject
            and ev.schema == req.schema
            and ev.department in req.departments
            and (fact.revoked_at is None or fact.revoked_at > t)
            and (ev.expiry == 0 or t < ev.expiry)
            and t <= ev.issued_at + req.max_age
            and any(s.covers(t) for s in self.active_spans.get(dept, [Span(0)]))
        )
