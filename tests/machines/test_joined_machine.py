"""Sharing, membership, attestations, RULE steps and offers under one changing world (issue 17:
"rule steps and offers join the approval and sharing state machines").

One Hypothesis state machine mixes, in the same run: consent grants of HRSS data to HOUSING and
DPF (given directly or by signature relayed, sometimes by a key that no longer controls the
identity), revocations (by the grantor's key or the identity's current key), time passing past
grant windows, accesses recorded by members and non-members, HRSS records anchored; members
removed and re-admitted, HOUSING's staff key rotated, citizens' owner keys rotated, departments
suspended and reinstated by the council; attestations issued (by named and unnamed departments,
to the applicants and others) and revoked; cases of CIVIL's ``elderly`` RULE step opened and
decided (at once or later, with the newest or arbitrary evidence, with the current or a stale
requirement list), the rule retired, registered again and replaced by a version with another
requirement list; the ``allowance`` service retired and registered again; offers sealed and
signed, accepted relayed by CIVIL, replayed; benefits revoked. A model (``tests.machines.model``)
predicts every outcome, naming the refusal, and is compared after every step with the
contracts' own status views (``AccessGrants.accessStatus``, ``CaseApprovals.caseOf``,
``RuleRegistry.check``, ``CitizenRegistry.ownerEpoch``, ``AnchorRegistry.latestVersion``).

Invariants, each checked after every step from the history alone:
(a) an access is recorded only under a grant live at that block, by an active STAFF of an
    Active grantee, for a category the grant covers;
(b) after revocation, expiry, removal, suspension or key rotation no access under the old right;
(c) a RULE step is decided only with attestations each valid, unrevoked, of the subject, from an
    Active named department, within the requirement's maximum age at that block;
(d) at most one valid benefit per citizen and service, whether issued through an offer or by a
    case of the service's terms opened otherwise; an acceptance is never replayed;
(e) the consent an accepted offer carries covers exactly the schemas of the rule version that
    decided it (an acceptance signed for other requirements is refused, ``OfferRuleChanged``);
(f) every ``allowance`` CaseApprovals issued in CIVIL's name (its ``Attested`` events, read from
    the chain) came from a step of ``elderly`` while the service bound it to the allowance: a
    second, weaker CIVIL rule (``resident``, registered by the approvers for another purpose)
    issues none (``ApprovalRuleNotForSchema``), nor does ``elderly`` once the service is retired.
(d) and (e) were gaps once, found by this machine (``test_known_gaps.py`` keeps their minimal
cases); (f) was found by review s25 (H-1, ``tests/services/test_rules_benefit.py``).
"""

# ruff: noqa: F811  (fixtures imported for pytest are parameters of the test here)
from __future__ import annotations

from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, precondition, rule, run_state_machine_as_test

from govchain.approval import CaseStatus, CaseTerms
from govchain.services.offers import consent_hash, consent_text, sign_acceptance
from govchain.services.rules import proof, requirements_hash, rule_step
from govchain.sharing import category_code, grant_id, grant_tuple
from tests.approval.conftest import (  # noqa: F401 (fixtures)
    DAY,
    approvals,
    attestations,
    citizen_registry,
    desk,
    h,
    rule_registry,
)
from tests.helpers import ROLE_APPROVER, ROLE_STAFF
from tests.machines.joined import (  # noqa: F401 (the fixture joined_grants)
    EXAMPLES,
    FAR,
    GRANTEES,
    HRSS_NAMES,
    ISSUERS,
    OUTCOMES,
    PEOPLE,
    STEPS,
    VALIDITY,
    JoinedState,
    _count,
    build_joined,
    joined_grants,
)
from tests.machines.model import ZERO32, Access, Offer
from tests.services.conftest import Rulebook, book, facts  # noqa: F401 (fixtures)
from tests.sharing.conftest import catalog, cats  # noqa: F401 (fixtures)


def test_sharing_rules_and_offers_keep_every_invariant_under_one_world(
    book: Rulebook, approvals: Any, attestations: Any, rule_registry: Any, citizen_registry: Any,
    joined_grants: Any, catalog: Any, cats: Any, depts: Any, facts: Any, citizens: Any,
    accounts: Any, outsider: Any, chain: Any, departments: Any, council: Any, deployer: Any,
) -> None:  # fmt: skip
    joined = build_joined(
        book, approvals, attestations, rule_registry, citizen_registry, joined_grants, catalog,
        depts, facts, citizens, accounts, outsider, chain, departments, council, deployer,
    )  # fmt: skip
    # the names the rules and invariants below read
    grants, web3, code_of, names_of = joined.grants, joined.web3, joined.code_of, joined.names_of
    base, rid, weak, weak_reqs = joined.base, joined.rid, joined.weak, joined.weak_reqs
    attested, sid, allowance, cases_dom = (
        joined.attested, joined.sid, joined.allowance, joined.cases_dom
    )  # fmt: skip

    class JoinedMachine(JoinedState):
        """The rules and invariants of the joined world (its state and the helper moves the
        rules share: :class:`tests.machines.joined.JoinedState`)."""

        env = joined

        @initialize(valid=VALIDITY)
        def start(self, valid: int) -> None:
            """The founders' keys (everyone else is in no department), CIVIL's ``elderly``
            rule (version 1) and ``allowance`` service (its benefit valid for ``valid``)."""
            for name, d in depts.items():
                self.world.join(d.staff.address, name, ROLE_STAFF, 0)
                for a in d.approvers:
                    self.world.join(a.address, name, ROLE_APPROVER, 0)
            self._tick()
            book.register("CIVIL", "elderly", base)
            self.version, self.requirements[1] = 1, base
            self._tick()
            self.register_service(valid)

        # --- membership and departments ------------------------------------------------------

        @rule(
            kind=st.sampled_from(["council", "council", "remove", "rotate staff", "rotate owner"]),
            dept=st.sampled_from(["PSB", "CIVIL", "HOUSING", "DPF", "HRSS"]),
            who=st.integers(0, 1),
        )
        def membership_changes(self, kind: str, dept: str, who: int) -> None:
            """The council suspends or reinstates a department; DPF's admin removes or
            re-admits its staff key; HOUSING's admin rotates its staff key; a citizen rotates
            her owner key."""
            if kind == "council":
                self.council_suspends_or_reinstates(dept)
            elif kind == "remove" and "DPF" not in self.world.suspended:
                self.remove_or_readmit_dpf_staff()
            elif kind == "rotate staff" and "HOUSING" not in self.world.suspended:
                self.rotate_housing_staff_key()
            elif kind == "rotate owner":
                self.citizen_rotates_owner_key(who)

        @rule(days=st.integers(0, 3), hours=st.integers(0, 23))
        def wait(self, days: int, hours: int) -> None:
            """Time passes (an empty block at the new time: views read the head)."""
            self.t = max(self.t, self.head()) + days * DAY + hours * 3600 + 1
            chain.mine(timestamp=self.t)

        # --- sharing -----------------------------------------------------------------------

        @rule(
            who=st.integers(0, PEOPLE - 1),
            grantee=st.sampled_from(GRANTEES),
            names=st.sets(st.sampled_from([*HRSS_NAMES, "*"]), min_size=1, max_size=2),
            start=st.sampled_from([-1, 0, 0, 1]),
            days=st.integers(1, 4),
            max_uses=st.sampled_from([0, 0, 1, 2]),
            by_signature=st.booleans(),
            old_key=st.sampled_from([False, False, False, True]),
        )
        def grant(
            self, who: int, grantee: str, names: set[str], start: int, days: int,
            max_uses: int, by_signature: bool, old_key: bool,
        ) -> None:  # fmt: skip
            self.sides.grant(who, grantee, names, start, days, max_uses, by_signature, old_key)

        @rule(
            who=st.integers(0, PEOPLE - 1),
            grantee=st.sampled_from(GRANTEES),
            name=st.sampled_from(HRSS_NAMES[:3]),
        )
        def grant_and_use(self, who: int, grantee: str, name: str) -> None:
            """The usual path: the grantee Active, a consent by her current key, used at once."""
            if grantee in self.world.suspended:
                self.council_suspends_or_reinstates(grantee)
            self.sides.grant(who, grantee, {name}, 0, 2, 0, True, False)

        @precondition(lambda self: self.world.grants)
        @rule(pick=st.integers(0, 50), by_terms=st.booleans())
        def revoke_grant(self, pick: int, by_terms: bool) -> None:
            self.sides.revoke(self.world.grants[pick % len(self.world.grants)], by_terms)

        @precondition(lambda self: self.world.grants)
        @rule(
            pick=st.integers(0, 50),
            category=st.sampled_from([*HRSS_NAMES, "HOUSING.PROPERTY"]),
            member=st.sampled_from(["staff", "staff", "staff", "other", "approver", "outsider"]),
        )
        def record_access(self, pick: int, category: str, member: str) -> None:
            g = self.world.grants[pick % len(self.world.grants)]
            self.sides.access(g, category, self.member(g.grantee, member))

        @rule(record=st.integers(0, 2), offset=st.sampled_from([1, 1, 1, 0, 2]))
        def anchor(self, record: int, offset: int) -> None:
            self.sides.anchor(record, offset)

        # --- attestations --------------------------------------------------------------------

        @rule(
            dept=st.sampled_from(ISSUERS),
            who=st.sampled_from([0, 0, 1, 2, 3]),
            which=st.sampled_from(["age", "residence", "low_income"]),
            expiring=st.booleans(),
        )
        def attest(self, dept: str, who: int, which: str, expiring: bool) -> None:
            now = self.head()
            args = (citizens[who], facts[which], h(f"{dept} {which} {now}"))
            fact = self.sides.attest(
                dept, self.staff(dept), args, now + 10 * DAY if expiring else 0
            )
            if fact is not None:
                self.facts.append(fact)

        @rule(who=st.integers(0, PEOPLE - 1))
        def attest_her_facts(self, who: int) -> None:
            """The usual path: PSB her age, CIVIL her residence, HRSS her low income."""
            for dept, which in (("PSB", "age"), ("CIVIL", "residence"), ("HRSS", "low_income")):
                if dept not in self.world.suspended:
                    self.attest(dept, who, which, False)

        @precondition(lambda self: self.facts)
        @rule(pick=st.integers(0, 50))
        def revoke_fact(self, pick: int) -> None:
            live = [
                f for f in self.facts if f.revoked_at is None and f.dept not in self.world.suspended
            ]
            if live:
                fact = live[pick % len(live)]
                fact.revoked_at = self._tick()
                attestations.revoke(fact.evidence.uid, sender=self.staff(fact.dept))

        # --- rules, services, cases ---------------------------------------------------------

        @precondition(lambda self: self.civil_can_sign())
        @rule(change=st.sampled_from(["toggle", "replace", "service"]), valid=VALIDITY)
        def civil_approvers_change_rules(self, change: str, valid: int) -> None:
            """The rule retired or registered again, or replaced by a version with the other
            requirement list; or the service retired or registered again (for ``valid``)."""
            if change == "service":
                self.retire_or_register_service(valid)
            else:
                self.change_rule(change)

        @rule(
            who=st.integers(0, PEOPLE - 1),
            at_once=st.booleans(),
            schema=st.booleans(),
            picks=st.lists(st.integers(0, 50), min_size=3, max_size=3),
            fresh=st.booleans(),
            late=st.sampled_from([False, False, False, True]),
        )
        def open_rule_case(
            self, who: int, at_once: bool, schema: bool, picks: list[int], fresh: bool, late: bool
        ) -> None:
            """A RULE case of CIVIL (with or without the benefit schema) decided when opened or
            later; (``fresh``) her facts attested first, as on the usual path; (``late``, decided
            at once) its opener asks a benefit expiry 10 days out, beyond any validity here."""
            if fresh:
                self.attest_her_facts(who)
            self.n += 1
            now = self._tick()
            terms = CaseTerms(
                documents_hash=h(f"joined case {self.n}"),
                accepting_department=code_of["CIVIL"],
                route=(rule_step(rid, now + FAR),),
                applicant_citizen=citizens[who].address,
                schema=allowance if schema else ZERO32,
                attestation_expiry=now + 10 * DAY if late and at_once else 0,
            )
            self.sides.open_case(terms, at_once, picks)

        @precondition(lambda self: self.civil_can_sign())
        @rule(who=st.integers(0, PEOPLE - 1), with_schema=st.sampled_from([True, True, False]))
        def a_weaker_rule_tries_to_issue_the_allowance(self, who: int, with_schema: bool) -> None:
            """CIVIL's approvers register a second, weaker rule ``resident`` (CIVIL-attested
            residence only, for another purpose; once); her residence is attested and a CIVIL
            clerk alone opens a case decided by it: with the allowance schema it is refused
            (no service binds the rule to it), without a schema it is decided."""
            if not self.weak_registered:
                self._tick()
                book.register("CIVIL", "resident", weak_reqs)
                self.weak_registered = True
            self.attest("CIVIL", who, "residence", False)
            mine = [
                f for f in self.facts
                if f.evidence.subject == citizens[who].address and f.dept == "CIVIL"
                and f.evidence.schema == facts["residence"]
            ]  # fmt: skip
            if not mine:
                return
            self.n += 1
            now = self._tick()
            terms = CaseTerms(
                documents_hash=h(f"weaker rule {self.n}"),
                accepting_department=code_of["CIVIL"],
                route=(rule_step(weak, now + FAR),),
                applicant_citizen=citizens[who].address,
                schema=allowance if with_schema else ZERO32,
            )
            staff = depts["CIVIL"].staff
            args = (terms.as_tuple(), [proof(weak_reqs, [mine[-1].evidence])])

            def predict(t: int) -> Any:
                if "CIVIL" in self.world.suspended:
                    return "ApprovalNotStaff", {"account": staff.address}
                if with_schema:
                    return "ApprovalRuleNotForSchema", {"ruleId": weak, "schema": allowance}
                return None  # her newest CIVIL residence, just attested, meets the rule

            out = self.sides.attempt(predict, approvals, "openCaseByRule", *args, sender=staff)
            if isinstance(out, str):
                _count(f"weaker rule refused: {out}")
            else:
                assert approvals.caseOf(terms.case_id()).outcome == ZERO32
                _count("weaker rule decided a case without a benefit")

        @precondition(lambda self: self.cases and self.facts)
        @rule(
            pick=st.integers(0, 50),
            picks=st.lists(st.integers(0, 50), min_size=3, max_size=3),
            best=st.sampled_from([True, True, False]),
            stale=st.sampled_from([False, False, False, True]),
        )
        def decide_rule_case(self, pick: int, picks: list[int], best: bool, stale: bool) -> None:
            self.sides.decide(self.cases[pick % len(self.cases)], picks, best, stale)

        # --- offers --------------------------------------------------------------------------

        @rule(who=st.integers(0, PEOPLE - 1))
        def seal_offer(self, who: int) -> None:
            """What the watcher seals for her and she signs with her current key: a case of the
            service and the consent text of the rule's requirements now."""
            self.n += 1
            now = self._tick()
            person = self.key_of(who)
            terms = CaseTerms(
                documents_hash=h(f"joined offer {self.n}"),
                accepting_department=code_of["CIVIL"],
                route=(rule_step(rid, now + FAR),),
                applicant_citizen=citizens[who].address,
                schema=allowance,
            )
            consent = consent_hash(
                consent_text("CIVIL", "allowance", self.requirements[self.version])
            )
            reqs = requirements_hash(self.requirements[self.version])
            signed = sign_acceptance(
                person.private_key, cases_dom, person.address, sid, terms, consent, reqs, now + FAR
            )
            self.offers.append(Offer(terms, signed, who, self.version, consent, reqs))

        @precondition(lambda self: any(o.accepted_at is None for o in self.offers))
        @rule(pick=st.integers(0, 50), picks=st.lists(st.integers(0, 50), min_size=3, max_size=3))
        def accept_offer(self, pick: int, picks: list[int]) -> None:
            pending = [o for o in self.offers if o.accepted_at is None]
            self.sides.accept(pending[pick % len(pending)], picks)

        @rule(who=st.integers(0, PEOPLE - 1))
        def qualify_and_accept(self, who: int) -> None:
            """The usual path: CIVIL Active, rule and service in force, her facts attested, the
            offer sealed and accepted."""
            if not self.civil_can_sign():
                self.council_suspends_or_reinstates("CIVIL")
            if not self.rule_in_force:
                self.change_rule("toggle")
            if not self.service:
                self.retire_or_register_service()
            for dept in ("PSB", "HRSS"):
                if dept in self.world.suspended:
                    self.council_suspends_or_reinstates(dept)
            self.attest_her_facts(who)
            self.seal_offer(who)
            self.sides.accept(self.offers[-1], [0, 0, 0])

        @precondition(lambda self: self.civil_can_sign())
        @rule(who=st.integers(0, PEOPLE - 1))
        def offer_outlives_a_rule_change(self, who: int) -> None:
            """An offer waits in her box while CIVIL's approvers replace the rule; her facts
            are attested as the new version needs and the watcher relays her acceptance."""
            self.seal_offer(who)
            self.change_rule("replace")
            self.attest_her_facts(who)
            self.sides.accept(self.offers[-1], [0, 0, 0])

        @precondition(lambda self: any(o.accepted_at is not None for o in self.offers))
        @rule(pick=st.integers(0, 50), replay=st.booleans())
        def after_acceptance(self, pick: int, replay: bool) -> None:
            """An accepted acceptance relayed again, or a citizen's benefit revoked."""
            if replay:
                self.replay_acceptance(pick)
            else:
                self.revoke_benefit(pick % PEOPLE)

        # --- invariants ----------------------------------------------------------------------

        @invariant()
        def access_status_view_matches_the_model(self) -> None:
            """The two newest grants, for one category each, for the grantee's staff key."""
            t = self.head()
            for i, g in enumerate(self.world.grants[-2:]):
                name = HRSS_NAMES[(i + len(self.accesses)) % len(HRSS_NAMES)]
                member = self.staff(g.grantee)
                view = grants.accessStatus(grant_tuple(g.terms), category_code(name), member)
                assert Access(view) == self.world.access(g, name, member.address, t), (g, name)
                if g.terms["maxUses"]:
                    assert grants.grantState(grant_id(g.terms)).uses == g.uses

        @invariant()
        def case_view_matches_the_model(self) -> None:
            """The two newest RULE cases still open are Open at their first step."""
            for terms in self.cases[-2:]:
                view = approvals.caseOf(terms.case_id())
                assert (view.status, view.currentStep) == (CaseStatus.OPEN, 0), terms

        @invariant()
        def a_and_b_every_access_was_under_a_right_held_then(self) -> None:
            for t, g, name, member in self.accesses:
                assert self.world.right_held(g, name, member, t), (t, g, name, member)
            for g in self.world.grants:
                if g.terms["maxUses"]:
                    assert g.uses <= g.terms["maxUses"]

        @invariant()
        def c_every_rule_decision_used_valid_attestations_then(self) -> None:
            for t, version, subject, chosen in self.decisions:
                reqs = self.requirements[version]
                assert len(chosen) == len(reqs)
                for req, fact in zip(reqs, chosen, strict=True):
                    assert self.world.fact_decides(req, fact, subject, names_of, t), (t, fact)

        @invariant()
        def d_one_benefit_per_citizen_and_no_replay(self) -> None:
            for who in {*self.benefits, *self.other}:
                assert len(self.valid_benefits(who)) <= 1, who
            accepted = [o.terms.case_id() for o in self.offers if o.accepted_at is not None]
            assert len(accepted) == len(set(accepted))

        @invariant()
        def e_an_accepted_consent_names_the_schemas_that_decided(self) -> None:
            for offer in self.offers:
                assert offer.accepted_at is None or self.sides.consent_covers(offer), offer

        @invariant()
        def f_every_allowance_issued_came_from_the_service_rule(self) -> None:
            """Every allowance the chain shows CaseApprovals issued in CIVIL's name is one the
            model saw a step of ``elderly`` issue (through an offer or a case) while the
            service was in force: read from the ``Attested`` events, not from the moves."""
            logs = web3.eth.get_logs({
                "address": attestations.address,
                "fromBlock": self.first_block,
                "topics": [attested, None, "0x" + code_of["CIVIL"].hex()],
            })  # fmt: skip
            issued = set()
            for log in logs:
                data = bytes(log["data"])
                uid, schema, attester = data[:32], data[32:64], "0x" + data[76:96].hex()
                if schema == allowance and attester.lower() == approvals.address.lower():
                    issued.add(uid)
            known = {u for held in [*self.benefits.values(), *self.other.values()] for u in held}
            assert issued <= known, issued - known

        @invariant()
        def g_a_benefit_runs_as_long_as_the_service_said_when_issued(self) -> None:
            """Every allowance issued on the rule's authority expires exactly the service's
            ``validFor`` (the one registered last before its issue) after its issue, or never
            when that was 0; the opener's later expiry was refused (read from the chain)."""
            for held in [*self.benefits.values(), *self.other.values()]:
                for uid in held:
                    record = attestations.getAttestation(uid)
                    if not record.issuedAt:
                        continue  # revoked: its record is gone
                    valid = [v for at, v in self.validity if at < record.issuedAt][-1]
                    want = record.issuedAt + valid if valid else 0
                    assert record.expiry == want, (uid, record, self.validity)

    run_state_machine_as_test(
        JoinedMachine,
        settings=settings(max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None),
    )
    print("joined machine outcomes:", dict(sorted(OUTCOMES.items())))
    for event in ("access recorded", "step decided by rule", "offer granted"):
        assert OUTCOMES.get(event, 0) > 0, (event, OUTCOMES)
    # not vacuous: moves were refused too, each with the error the model named
    assert sum(v for k, v in OUTCOMES.items() if "refused" in k) > 0, OUTCOMES
