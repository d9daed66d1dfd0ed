"""Mixed valid and invalid load against a real data node (uvicorn on a real port, real chain).

``GOVCHAIN_LOAD_REQUESTS`` requests (default 1,000; the benchmark runs 10,000) from several
client threads: no record released without a valid request, exactly one release per signed
request (replays race their original), every refusal with its documented code, no server error.
The numbers are printed; benchmarks/bench_node_load.py records them.
"""

from __future__ import annotations

import json
import os
from typing import Any

from govchain.node.chain import RpcChain
from govchain.node.client import DataNodeClient
from govchain.tx import BulkSender
from tests.node.conftest import BANK, CIVIL, HRSS, PENSION, Holdings, local
from tests.node.load import (
    build_cases,
    judge,
    last_log_id,
    make_grants,
    run_load,
    serve_log_matches,
)

REQUESTS = int(os.environ.get("GOVCHAIN_LOAD_REQUESTS", "1000"))
THREADS = int(os.environ.get("GOVCHAIN_LOAD_THREADS", "8"))
MAX_BODY = 8192  # the module node's limit (tests/node/conftest.py)


def test_mixed_load_releases_nothing_unauthorised_and_never_fails(
    grants: Any, hrss: Holdings, node_url: str, reader: RpcChain, w3: Any,
    civil_staff: Any, now: int,
) -> None:  # fmt: skip
    staff = local(civil_staff)
    client = DataNodeClient(reader, staff)
    terms = make_grants(grants, hrss.citizen, CIVIL, HRSS, PENSION, BANK, now)
    records = [hrss.ids["pension"], hrss.ids["tamper"]]
    cases = build_cases(REQUESTS, client, BulkSender(w3, staff), terms, records, max_body=MAX_BODY)
    first_log = last_log_id(hrss.store)

    run = run_load(node_url, cases, threads=THREADS)
    verdict = judge(cases, run, client)

    print(json.dumps(verdict.as_json(), indent=2))
    assert verdict.unexpected == []
    assert verdict.unauthorised_releases == 0
    assert verdict.server_errors == 0
    assert verdict.released == verdict.valid_requests > REQUESTS // 5
    assert set(verdict.outcomes) == {c.kind for c in cases} and len(verdict.outcomes) == 12
    assert serve_log_matches(hrss.store, cases, first_log) == []
