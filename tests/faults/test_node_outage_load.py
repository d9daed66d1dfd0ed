"""A data node under mixed load loses its chain node again and again (its RPC link cut by a TCP
proxy at random moments). While the chain is away it answers 503 ``chain_unavailable`` to what
needs the chain, and nothing else changes: refusals that need no chain (malformed, too large,
unsigned, expired) keep their own codes, no record is released, no nonce is spent. A client
that sends its 503-answered requests again once the link is back gets exactly the answers of a
healthy node: every valid request served once, every invalid one refused with its code.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from govchain.node.chain import ChainAddresses, RpcChain
from govchain.node.client import DataNodeClient
from govchain.node.server import DataNode, NodeConfig
from govchain.tx import BulkSender
from tests.faults.helpers import Outages, proxy_to
from tests.node.conftest import BANK, CIVIL, HRSS, PENSION, Holdings, local
from tests.node.helpers import running_node
from tests.node.load import (
    EXPECTED,
    build_cases,
    judge,
    last_log_id,
    make_grants,
    resend,
    run_load,
    serve_log_matches,
)

REQUESTS = 600
MAX_BODY = 8192
NO_CHAIN_NEEDED = {"malformed_json", "huge_body", "unsigned", "expired"}


def test_node_losing_its_chain_under_load_answers_503_and_loses_nothing(
    grants: Any, hrss: Holdings, rpc_url: str, addresses: ChainAddresses, reader: RpcChain,
    w3: Any, civil_staff: Any, now: int, chain: Any,
) -> None:  # fmt: skip
    staff = local(civil_staff)
    client = DataNodeClient(reader, staff)
    terms = make_grants(grants, hrss.citizen, CIVIL, HRSS, PENSION, BANK, now)
    records = [hrss.ids["pension"], hrss.ids["tamper"]]
    cases = build_cases(REQUESTS, client, BulkSender(w3, staff), terms, records, max_body=MAX_BODY)
    first_log = last_log_id(hrss.store)

    with proxy_to(rpc_url) as proxy:
        chain_view = RpcChain(proxy.url, addresses, chain_id=chain.chain_id, timeout=2)
        node = DataNode(NodeConfig(HRSS, max_body_bytes=MAX_BODY), hrss.store, chain_view)
        outages = Outages(proxy, down_for=0.2)
        with running_node(node) as url:
            with outages.chaos(seed=3, up=(0.1, 0.4)):
                first = run_load(url, cases, threads=8)
            unavailable = Counter(
                c.kind for c, o in zip(cases, first.outcomes, strict=True) if o.status == 503
            )
            assert all(
                (o.status, o.reason) == (503, "chain_unavailable")
                for o in first.outcomes
                if o.status >= 500 or o.status == 0
            )
            run = resend(url, cases, first, {503})

    assert len(outages.cuts) >= 2 and sum(unavailable.values()) > 0
    assert not set(unavailable) & NO_CHAIN_NEEDED  # refused on their own, chain or no chain
    for case, outcome in zip(cases, first.outcomes, strict=True):
        if outcome.status == 503:
            continue
        if case.kind in ("valid", "replay"):
            assert outcome.status in (200, 409)
        else:
            assert (outcome.status, outcome.reason) == EXPECTED[case.kind]
    verdict = judge(cases, run, client)
    assert verdict.unexpected == []
    assert verdict.unauthorised_releases == 0 and verdict.server_errors == 0
    assert verdict.released == verdict.valid_requests
    assert serve_log_matches(hrss.store, cases, first_log) == []
    print(
        f"cuts {len(outages.cuts)}, answered 503 {sum(unavailable.values())} "
        f"({dict(unavailable)}), served after the resend {verdict.released}"
    )
