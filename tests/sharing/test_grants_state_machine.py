"""Property: access records exist only under a live grant covering the category.

A Hypothesis state machine grants (directly, maybe with a use limit, maybe naming a NotShared
category), revokes, moves time and records accesses by members and non-members, and checks
every outcome against a model:

- an access record is created exactly when the grant is live at that block (created, not
  revoked, inside its window, uses left) and covers the category, and the caller is STAFF of
  the grantee;
- uses never exceed the maximum;
- a NotShared category is never granted;
- a revoked grant never admits another access.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from govchain.sharing import category_code, grant_id, grant_tuple
from tests.conftest import hypothesis_examples
from tests.sharing.conftest import DAY, REQUEST, make_terms

EXAMPLES = hypothesis_examples(0.25, levels=1 / 3)  # 25; 250 in "deep", 8 in "levels"
HRSS_CATEGORIES = ["HRSS.PENSION", "HRSS.BANK_ACCOUNT", "HRSS.POLICY", "HRSS.INTERNAL"]
NOT_SHARED = {"HRSS.INTERNAL"}


@dataclass
class Model:
    terms: dict[str, Any]
    categories: set[str]
    max_uses: int
    uses: int = 0
    revoked: bool = False
    accesses_after_revoke: int = 0
    log: list[tuple[str, int]] = field(default_factory=list)


def test_access_records_follow_live_grants(
    grants: Any, depts: Any, citizens: list[Any], chain: Any
) -> None:
    civil, hrss, psb = depts["CIVIL"], depts["HRSS"], depts["PSB"]
    members = [civil.staff, civil.approvers[0], psb.staff]
    outcomes: dict[str, int] = {}

    class GrantMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.snapshot = chain.snapshot()
            self.models: list[Model] = []
            self.nonce = 0
            # keep block times half a day away from every window edge
            self.t0 = int(chain.pending_timestamp) + DAY // 2

        def teardown(self) -> None:
            chain.restore(self.snapshot)

        @initialize()
        def start(self) -> None:
            chain.pending_timestamp = self.t0

        @rule(
            citizen=st.integers(0, 2),
            names=st.sets(st.sampled_from(HRSS_CATEGORIES), min_size=1, max_size=2),
            start=st.sampled_from([-1, 0, 0, 1]),
            days=st.integers(1, 4),
            max_uses=st.sampled_from([0, 0, 1, 3]),
        )
        def grant(
            self, citizen: int, names: set[str], start: int, days: int, max_uses: int
        ) -> None:
            now = int(chain.pending_timestamp)
            self.nonce += 1
            # windows start and end on whole days from t0 - DAY/2, so never near a block time
            day0 = self.t0 - DAY // 2 + ((now - self.t0) // DAY) * DAY
            valid_from = max(day0 + start * DAY, 1)
            if valid_from + days * DAY <= now:
                valid_from = day0
            terms = make_terms(
                citizens[citizen], civil.code, hrss.code, [category_code(n) for n in sorted(names)], now,
                valid_from=valid_from, days=days, max_uses=max_uses, nonce=self.nonce,
            )  # fmt: skip
            if names & NOT_SHARED:
                try:
                    grants.grant(grant_tuple(terms), sender=citizens[citizen])
                except Exception:
                    assert grants.grantState(grant_id(terms)).status == 0
                    event("NotShared grant refused")
                    return
                raise AssertionError("a NotShared category was granted")
            grants.grant(grant_tuple(terms), sender=citizens[citizen])
            model = Model(terms, names, max_uses)
            self.models.append(model)
            # the grantee's first use, as in practice right after a grant: recorded when the
            # window is open, refused when it opens later
            self._attempt(model, sorted(names)[0], 0)

        @rule(index=st.integers(0, 30))
        def revoke(self, index: int) -> None:
            if not self.models:
                return
            model = self.models[index % len(self.models)]
            if model.revoked:
                return
            subject = next(c for c in citizens if c.address == model.terms["subject"])
            grants.revoke(grant_id(model.terms), sender=subject)
            model.revoked = True

        @rule(days=st.integers(0, 2))
        def advance(self, days: int) -> None:
            chain.pending_timestamp += days * DAY + 60

        @rule(
            index=st.integers(0, 30),
            pick=st.integers(0, 5),
            other=st.sampled_from(HRSS_CATEGORIES),
            who=st.sampled_from([0, 0, 0, 1, 2]),
        )
        def access(self, index: int, pick: int, other: str, who: int) -> None:
            if not self.models:
                return
            model = self.models[index % len(self.models)]
            # mostly a category the grant names, sometimes any category
            named = sorted(model.categories)
            self._attempt(model, named[pick % len(named)] if pick < 4 else other, who)

        @rule(index=st.integers(0, 30), pick=st.integers(0, 3))
        def access_under_a_live_grant(self, index: int, pick: int) -> None:
            """Staff of the grantee, a named category, a grant the model says is live."""
            now = int(chain.pending_timestamp)
            live = [m for m in self.models if self._live(m, now)]
            if not live:
                return
            model = live[index % len(live)]
            named = sorted(model.categories)
            self._attempt(model, named[pick % len(named)], 0)

        @staticmethod
        def _live(model: Model, now: int) -> bool:
            t = model.terms
            return (
                not model.revoked
                and t["validFrom"] <= now < t["validUntil"]
                and (model.max_uses == 0 or model.uses < model.max_uses)
            )

        def _attempt(self, model: Model, name: str, who: int) -> None:
            now = int(chain.pending_timestamp)
            t = model.terms
            expected = self._live(model, now) and name in model.categories and who == 0
            try:
                tx = grants.recordAccess(
                    grant_tuple(t), category_code(name), REQUEST, sender=members[who]
                )
            except Exception:
                assert not expected, (name, who, now, t["validFrom"], t["validUntil"], model)
                event("access refused")
                outcomes["refused"] = outcomes.get("refused", 0) + 1
                return
            assert expected, ("access recorded outside a live covering grant", name, who, model)
            assert not model.revoked
            block_time = chain.blocks[tx.block_number].timestamp
            assert t["validFrom"] <= block_time < t["validUntil"]
            [ev] = tx.events.filter(grants.AccessRecorded)
            assert ev.grantId == grant_id(t) and ev.category == category_code(name)
            if model.max_uses:
                model.uses += 1
            event("access recorded")
            outcomes["recorded"] = outcomes.get("recorded", 0) + 1

        @invariant()
        def uses_never_exceed_the_maximum(self) -> None:
            for model in self.models:
                state = grants.grantState(grant_id(model.terms))
                assert state.uses == (model.uses if model.max_uses else 0)
                if model.max_uses:
                    assert state.uses <= model.max_uses
                assert state.status == (2 if model.revoked else 1)

    run_state_machine_as_test(
        GrantMachine,
        settings=settings(deadline=None, max_examples=EXAMPLES, stateful_step_count=15),
    )
    # the run exercised both sides of the property
    print("state machine outcomes:", outcomes)
    assert outcomes.get("recorded", 0) > 0 and outcomes.get("refused", 0) > 0, outcomes
