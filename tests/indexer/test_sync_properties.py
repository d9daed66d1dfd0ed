"""Property: whatever the interleaving of transactions, empty blocks, syncs with any range size
and confirmations, partial syncs, restarts and crashes in the middle of a range's write, the
index holds every watched log up to its cursors exactly once and nothing beyond the safe head;
a final sync makes it equal to a direct eth_getLogs read of the whole chain."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from govchain.indexer import Indexer, RpcLogSource, WatchedContract
from tests.conftest import hypothesis_examples
from tests.helpers import ROLE_APPROVER, ROLE_AUDITOR, ROLE_STAFF, code, enrol
from tests.indexer.conftest import (
    assert_index_matches_chain,
    chain_keys,
    chain_logs,
    cursor_blocks,
    index_keys,
)

EXAMPLES = hypothesis_examples(0.5)  # 50 in the default profile, 500 in "deep"
DEPTS = ["BDB", "PSB", "HRSS", "HOUSING", "DPF", "CIVIL", "FINANCE"]
ROLES = [ROLE_STAFF, ROLE_APPROVER, ROLE_AUDITOR, ROLE_STAFF | ROLE_AUDITOR]

steps = st.integers(1, 8)
actions = st.one_of(
    st.tuples(st.just("emit"), st.integers(0, 11), st.integers(1, 6)),
    st.tuples(st.just("member"), st.integers(0, 6), st.integers(0, 5), st.sampled_from(ROLES)),
    st.tuples(st.just("status")),
    st.tuples(st.just("mine"), st.integers(1, 4)),
    st.tuples(st.just("sync"), steps, st.integers(0, 3)),
    st.tuples(st.just("partial"), steps, st.integers(1, 3)),
    st.tuples(st.just("crash"), steps, st.sampled_from(["events", "cursors"]), st.integers(0, 3)),
)


class PowerCut(Exception):
    pass


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=st.lists(actions, min_size=3, max_size=14))
def test_index_survives_any_interleaving_of_transactions_restarts_and_crashes(
    plan: list[tuple[Any, ...]],
    chain: Any,
    accounts: Any,
    council: Any,
    departments: Any,
    depts: Any,
    citizens: list[Any],
    emitter: Any,
    deployer: Any,
    source: RpcLogSource,
    watched: list[WatchedContract],
    new_db: Callable[[], Engine],
) -> None:
    spares = [accounts[i] for i in (50, 51, 52, 53, 57, 58)]
    # NOT chain.isolate(): in ape 0.8.51 it swallows every exception raised inside it
    snapshot = chain.snapshot()
    try:
        engine = new_db()
        membership: dict[int, str] = {}
        suspended = False
        for action in plan:
            kind = action[0]
            if kind == "emit":
                _, who, count = action
                emitter.recordAccesses(
                    count, citizens[who], code("HRSS"), code("CIVIL"), b"\0" * 32, sender=deployer
                )
            elif kind == "member":
                _, d, s, roles = action
                dept = depts[DEPTS[d]]
                if s not in membership:
                    if DEPTS[d] == "FINANCE" and suspended:
                        continue
                    enrol(departments, dept.admin, spares[s], roles)
                    membership[s] = DEPTS[d]
                else:
                    home = depts[membership[s]]
                    if membership[s] == "FINANCE" and suspended:
                        continue
                    if roles == ROLE_STAFF:
                        departments.removeMember(spares[s], sender=home.admin)
                        del membership[s]
                    else:
                        departments.setMemberRoles(spares[s], roles, sender=home.admin)
            elif kind == "status":
                if suspended:
                    departments.reinstate(code("FINANCE"), sender=council)
                else:
                    departments.suspend(code("FINANCE"), sender=council)
                suspended = not suspended
            elif kind == "mine":
                chain.mine(action[1])
            elif kind == "sync":
                _, step, confirmations = action
                head = source.block_number()
                indexer = Indexer(engine, source, watched, step=step, confirmations=confirmations)
                before = indexer.positions()
                newest = max([head - confirmations, *before.values()])
                assert indexer.sync().caught_up
                # reads up to head - confirmations, never past it; a cursor never moves back
                assert indexer.positions() == {
                    name: max(head - confirmations, block) for name, block in before.items()
                }
                assert all(k[0] <= newest for k in index_keys(engine))
            elif kind == "partial":
                _, step, ranges = action
                Indexer(engine, source, watched, step=step).sync(max_ranges=ranges)
            elif kind == "crash":
                _, step, stage, after = action
                writes = {"n": 0}

                def cut(
                    at: str, stage: str = stage, after: int = after, writes: dict[str, int] = writes
                ) -> None:
                    if at == stage:
                        writes["n"] += 1
                        if writes["n"] > after:
                            raise PowerCut

                with contextlib.suppress(PowerCut):
                    Indexer(engine, source, watched, step=step, on_write=cut).sync()
            assert_index_matches_chain(engine, source, watched)

        Indexer(engine, source, watched, step=5).sync()
        head = source.block_number()
        assert set(cursor_blocks(engine).values()) == {head}
        assert index_keys(engine) == chain_keys(chain_logs(source, watched, head))
        engine.dispose()
    finally:
        chain.restore(snapshot)
