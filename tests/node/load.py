"""Mixed valid and invalid load against a real data node (shared by tests/node/test_load.py and
benchmarks/bench_node_load.py).

A load is a shuffled list of :class:`Case`: raw HTTP bodies for ``POST /v1/records/fetch``,
each with the answer the node must give. Valid requests each get their own on-chain access
record (``AccessGrants.recordAccess`` sent through the pipelined :class:`BulkSender`); every
invalid kind is one the node documents a refusal code for (:data:`EXPECTED`). Replays are the
exact bytes of a valid request sent again, raced against the original by the client threads:
of a request and its replays exactly one may be served, whichever arrives first.

:func:`judge` turns the outcomes into the verdict: refusal codes per kind, server errors,
unauthorised releases (a 200 for anything but a valid request, a second 200 for one signed
request, or an answer that does not decrypt to the requested record and verify against its
on-chain anchor), and latencies.
"""

from __future__ import annotations

import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from eth_account import Account
from sqlalchemy import select

from govchain.node.client import DataNodeClient, PreparedRequest, RecordTampered
from govchain.node.store import ServeLogEntry, Store
from govchain.sharing import grant_tuple
from govchain.sharing.messages import grant_id
from govchain.toolchain.paths import PROJECT_ROOT
from govchain.tx import BulkSender
from tests.node.sender import frames, raw_request
from tests.sharing.conftest import make_terms

FETCH = "/v1/records/fetch"
VALIDITY = 1800  # seconds the load's signed requests stay valid (the node allows 3600)

#: kind -> the node's answer (status, reason code); "" for a served record
EXPECTED: dict[str, tuple[int, str]] = {
    "valid": (200, ""),
    "replay": (409, "nonce_replayed"),  # or the 200 when it overtakes its original
    "unknown_record": (404, "record_not_found"),  # authorised, so it is told
    "unsigned": (401, "unsigned"),
    "forged": (403, "not_grantee_member"),  # signed by a key that is no member
    "wrong_category": (403, "category_not_covered"),
    "no_grant": (403, "no_grant"),
    "revoked": (403, "grant_revoked"),
    "expired": (401, "request_expired"),
    "other_access": (403, "access_record_mismatch"),
    "malformed_json": (400, "malformed_request"),
    "huge_body": (413, "body_too_large"),
}

#: share of each kind in a load (normalised); valid requests are the largest group
WEIGHTS: dict[str, float] = {
    "valid": 0.30,
    "replay": 0.08,
    "unknown_record": 0.04,
    "unsigned": 0.06,
    "forged": 0.06,
    "wrong_category": 0.06,
    "no_grant": 0.06,
    "revoked": 0.06,
    "expired": 0.06,
    "other_access": 0.06,
    "malformed_json": 0.08,
    "huge_body": 0.08,
}

#: kinds that need an on-chain access record of their own
OWN_ACCESS = ("valid", "unknown_record")


@dataclass(frozen=True)
class Case:
    kind: str
    body: bytes
    chunked: bool = False  # sent without Content-Length (the node counts while it streams)
    group: int = -1  # the valid request it is (or replays); -1 for none
    prepared: PreparedRequest | None = None  # what a 200 must decrypt to

    @property
    def expect(self) -> tuple[int, str]:
        return EXPECTED[self.kind]


@dataclass(frozen=True)
class Outcome:
    status: int  # 0: no HTTP answer (connection error)
    reason: str
    seconds: float
    answer: dict[str, Any] | None = None  # the body of a 200


@dataclass
class Grants:
    """The grant terms the load signs under (all about one subject, owned by the node's dept)."""

    live: dict[str, Any]  # granted, covers ``category``
    revoked: dict[str, Any]  # granted, then revoked by the subject
    never: dict[str, Any]  # never granted
    category: bytes  # covered by ``live``
    uncovered: bytes  # a category of the node's department that ``live`` does not cover


def kinds_for(n: int, seed: int = 11) -> list[str]:
    """``n`` kinds in the proportions of :data:`WEIGHTS`, shuffled (deterministic)."""
    total = sum(WEIGHTS.values())
    counts = {k: int(n * w / total) for k, w in WEIGHTS.items()}
    counts["valid"] += n - sum(counts.values())
    out = [k for k, c in counts.items() for _ in range(c)]
    random.Random(seed).shuffle(out)
    return out


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


def build_cases(
    n: int,
    client: DataNodeClient,
    bulk: BulkSender,
    grants: Grants,
    records: Sequence[bytes],
    *,
    max_body: int,
    seed: int = 11,
) -> list[Case]:
    """Signs ``n`` requests in the mix of :data:`WEIGHTS` and records the access of each valid
    one (and of each request for an unknown record) on chain, pipelined."""
    rng = random.Random(seed)
    kinds = kinds_for(n, seed)
    expiry = int(time.time()) + VALIDITY
    forger = DataNodeClient(client.chain, Account.create(), http=client.http)

    def signed(terms: dict[str, Any] | None = None, **kw: Any) -> PreparedRequest:
        category = kw.pop("category", grants.category)
        record = kw.pop("record", None) or rng.choice(records)
        signer = kw.pop("signer", client)
        kw.setdefault("expiry", expiry)
        return signer.prepare(terms or grants.live, category, record, **kw)

    # 1. the requests that get their own access record, recorded on chain in one pipeline
    own: dict[int, PreparedRequest] = {}
    for i, kind in enumerate(kinds):
        if kind == "valid":
            own[i] = signed()
        elif kind == "unknown_record":
            own[i] = signed(record=f"no-such-record-{i}".encode().ljust(32, b"\0"))
    order = sorted(own)
    receipts = bulk.send([client.access_call(own[i]) for i in order])  # type: ignore[misc]
    access = {i: r["transactionHash"].to_0x_hex() for i, r in zip(order, receipts, strict=True)}
    valid = [i for i in order if kinds[i] == "valid"]
    if not valid:
        raise ValueError("a load needs at least one valid request")

    # 2. every case's body
    cases: list[Case] = []
    for i, kind in enumerate(kinds):
        some_tx = access[rng.choice(valid)]  # a real access record of some other request
        if kind in OWN_ACCESS:
            p = own[i]
            group = i if kind == "valid" else -1
            cases.append(Case(kind, _json(p.body(access[i])), group=group, prepared=p))
        elif kind == "replay":
            j = rng.choice(valid)
            cases.append(Case(kind, _json(own[j].body(access[j])), group=j, prepared=own[j]))
        elif kind == "unsigned":
            body = signed().body(some_tx)
            body["signature"] = ""
            cases.append(Case(kind, _json(body)))
        elif kind == "forged":  # an outsider's key claims a member's access record
            cases.append(Case(kind, _json(signed(signer=forger).body(some_tx))))
        elif kind == "wrong_category":
            cases.append(Case(kind, _json(signed(category=grants.uncovered).body(some_tx))))
        elif kind == "no_grant":
            cases.append(Case(kind, _json(signed(grants.never).body(some_tx))))
        elif kind == "revoked":
            cases.append(Case(kind, _json(signed(grants.revoked).body(some_tx))))
        elif kind == "expired":
            past = int(time.time()) - rng.randint(1, 86_400)
            cases.append(Case(kind, _json(signed(expiry=past).body(some_tx))))
        elif kind == "other_access":  # well signed, but the access record is another request's
            cases.append(Case(kind, _json(signed().body(some_tx))))
        elif kind == "malformed_json":
            good = _json(signed().body(some_tx))
            cut = rng.randint(1, len(good) - 2)
            variants = [good[:cut], b"not json", b"{" + good, b"\xff\xfe" + good[2:]]
            cases.append(Case(kind, variants[i % len(variants)]))
        elif kind == "huge_body":
            pad = b" " * (max_body * rng.choice((2, 4)))
            cases.append(Case(kind, b'{"pad": "' + pad + b'"}', chunked=i % 2 == 1))
        else:
            raise ValueError(kind)
    return cases


def _chunks(body: bytes, size: int = 4096) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def send(http: httpx.Client, url: str, case: Case) -> Outcome:
    headers = {"content-type": "application/json"}
    start = time.perf_counter()
    try:
        content: Any = _chunks(case.body) if case.chunked else case.body
        r = http.post(url + FETCH, content=content, headers=headers)
    except httpx.HTTPError as exc:
        return Outcome(0, type(exc).__name__, time.perf_counter() - start)
    seconds = time.perf_counter() - start
    try:
        payload = r.json()
    except ValueError:
        payload = {}
    if not isinstance(payload, dict):
        payload = {}
    if r.status_code == 200:
        return Outcome(200, "", seconds, payload)
    return Outcome(r.status_code, str(payload.get("reason", "")), seconds)


@dataclass
class Run:
    outcomes: list[Outcome]
    seconds: float
    threads: int


def run_load(url: str, cases: Sequence[Case], threads: int = 8, timeout: float = 30.0) -> Run:
    """Sends every case once from ``threads`` client threads (each its own kept-alive httpx
    client), taking the next case from a shared queue; returns the outcomes in case order."""
    outcomes: list[Outcome | None] = [None] * len(cases)
    lock = threading.Lock()
    position = iter(range(len(cases)))

    def worker() -> None:
        with httpx.Client(timeout=timeout) as http:
            while True:
                with lock:
                    i = next(position, None)
                if i is None:
                    return
                outcomes[i] = send(http, url, cases[i])

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    start = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - start
    assert all(o is not None for o in outcomes)
    return Run([o for o in outcomes if o is not None], elapsed, threads)


def run_load_process(url: str, cases: Sequence[Case], conns: int = 16) -> tuple[Run, float]:
    """Sends every case once from a separate lean process (:mod:`tests.node.sender`: requests
    built as bytes beforehand, ``conns`` raw kept-alive connections); returns the run and the
    sender's own CPU seconds. Answers are parsed here, after the clock stopped."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    wire = [raw_request(host, port, FETCH, c.body, chunked=c.chunked) for c in cases]
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "requests", Path(folder) / "answers.json"
        source.write_bytes(frames(wire))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(
            [sys.executable, "-m", "tests.node.sender", str(source), str(target), host,
             str(port), str(conns)],
            cwd=PROJECT_ROOT, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}, check=True,
        )  # fmt: skip
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = json.loads(target.read_text())
    outcomes = [_outcome(status, body, took) for status, body, took in result["answers"]]
    cpu = usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime
    return Run(outcomes, result["seconds"], conns), cpu


def _outcome(status: int, body: str, seconds: float) -> Outcome:
    if status == 0:  # no answer: the sender's error
        return Outcome(0, body, seconds)
    try:
        payload = json.loads(body) if body else {}
    except ValueError:
        payload = {}
    if not isinstance(payload, dict):
        payload = {}
    if status == 200:
        return Outcome(200, "", seconds, payload)
    return Outcome(status, str(payload.get("reason", "")), seconds)


def resend(url: str, cases: Sequence[Case], run: Run, statuses: set[int], threads: int = 8) -> Run:
    """Sends again every case whose answer had one of ``statuses`` (a client retrying after a
    503); the outcomes are the first ones, replaced by the second where a case was resent."""
    again = [i for i, o in enumerate(run.outcomes) if o.status in statuses]
    second = run_load(url, [cases[i] for i in again], threads=threads)
    merged = list(run.outcomes)
    for i, outcome in zip(again, second.outcomes, strict=True):
        merged[i] = outcome
    return Run(merged, run.seconds + second.seconds, threads)


def percentiles(seconds: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/max in milliseconds."""
    if not seconds:
        return {}
    cuts = statistics.quantiles(seconds, n=100, method="inclusive") if len(seconds) > 1 else []
    pick = (lambda p: cuts[p - 1]) if cuts else (lambda p: seconds[0])
    ms = {f"p{p}": pick(p) * 1000 for p in (50, 95, 99)}
    ms["max"] = max(seconds) * 1000
    return {k: round(v, 2) for k, v in ms.items()}


@dataclass
class Verdict:
    requests: int
    seconds: float
    threads: int
    outcomes: dict[str, dict[str, int]]  # kind -> "status reason" -> count
    unexpected: list[str]  # "kind: got status reason, expected ..."
    server_errors: int  # 5xx or no answer at all
    unauthorised_releases: int
    released: int  # records served (200)
    valid_requests: int
    latency_ms: dict[str, float]
    latency_ms_by_kind: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def requests_per_second(self) -> float:
        return round(self.requests / self.seconds, 1) if self.seconds else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "threads": self.threads,
            "seconds": round(self.seconds, 3),
            "requests_per_second": self.requests_per_second,
            "valid_requests": self.valid_requests,
            "released": self.released,
            "unauthorised_releases": self.unauthorised_releases,
            "server_errors": self.server_errors,
            "unexpected": self.unexpected[:20],
            "unexpected_count": len(self.unexpected),
            "latency_ms": self.latency_ms,
            "latency_ms_by_kind": self.latency_ms_by_kind,
            "outcomes": self.outcomes,
        }


def judge(cases: Sequence[Case], run: Run, client: DataNodeClient) -> Verdict:
    """Checks every outcome against its case; opens and verifies (against the chain) each
    served record with the requester's key."""
    outcomes: dict[str, Counter[str]] = {}
    unexpected: list[str] = []
    served_per_group: Counter[int] = Counter()
    server_errors = unauthorised = released = 0
    by_kind: dict[str, list[float]] = {}
    for case, got in zip(cases, run.outcomes, strict=True):
        outcomes.setdefault(case.kind, Counter())[f"{got.status} {got.reason}".strip()] += 1
        by_kind.setdefault(case.kind, []).append(got.seconds)
        if got.status == 0 or got.status >= 500:
            server_errors += 1
        if got.status == 200:
            released += 1
            if case.group < 0 or case.prepared is None:
                unauthorised += 1
                unexpected.append(f"{case.kind}: served a record")
                continue
            served_per_group[case.group] += 1
            try:
                assert got.answer is not None
                client._open(got.answer, case.prepared.message)
            except (RecordTampered, AssertionError) as exc:
                unauthorised += 1
                unexpected.append(f"{case.kind}: the answer does not verify ({exc})")
            continue
        if case.kind == "valid":  # refused only if a replay of it was served first
            if (got.status, got.reason) != EXPECTED["replay"]:
                unexpected.append(f"valid: got {got.status} {got.reason}")
        elif (got.status, got.reason) != case.expect:
            unexpected.append(f"{case.kind}: got {got.status} {got.reason}, expected {case.expect}")
    groups = {c.group for c in cases if c.kind == "valid"}
    for group in groups:
        if served_per_group[group] != 1:
            unexpected.append(f"request {group} served {served_per_group[group]} times")
    unauthorised += sum(n - 1 for n in served_per_group.values() if n > 1)
    return Verdict(
        requests=len(cases),
        seconds=run.seconds,
        threads=run.threads,
        outcomes={k: dict(sorted(v.items())) for k, v in sorted(outcomes.items())},
        unexpected=unexpected,
        server_errors=server_errors,
        unauthorised_releases=unauthorised,
        released=released,
        valid_requests=len(groups),
        latency_ms=percentiles([o.seconds for o in run.outcomes]),
        latency_ms_by_kind={k: percentiles(v) for k, v in sorted(by_kind.items())},
    )


def serve_log_matches(store: Store, cases: Sequence[Case], since_id: int) -> list[str]:
    """The serve log written during the load holds exactly one row per valid request."""
    wanted = {c.prepared.digest for c in cases if c.kind == "valid" and c.prepared is not None}
    with store.session() as s:
        rows = list(s.scalars(select(ServeLogEntry).where(ServeLogEntry.id > since_id)))
    logged = Counter(bytes(r.request_hash) for r in rows)
    problems = [f"logged {n} times" for h, n in logged.items() if n > 1]
    problems += [f"logged without a valid request: 0x{h.hex()}" for h in logged if h not in wanted]
    problems += [f"valid request not logged: 0x{h.hex()}" for h in wanted if h not in logged]
    return problems


def last_log_id(store: Store) -> int:
    with store.session() as s:
        return int(s.scalar(select(ServeLogEntry.id).order_by(ServeLogEntry.id.desc())) or 0)


def make_grants(
    contract: Any,
    subject: Any,
    grantee: bytes,
    owner: bytes,
    category: bytes,
    uncovered: bytes,
    now: int,
) -> Grants:
    """Grants ``live`` and ``revoked`` on chain (ape ``AccessGrants``; the subject signs), then
    revokes ``revoked``; ``never`` stays unsent."""
    live, revoked, never = (
        make_terms(subject, grantee, owner, [category], now, nonce=nonce)
        for nonce in (71_001, 71_002, 71_003)
    )
    for terms in (live, revoked):
        contract.grant(grant_tuple(terms), sender=subject)
    contract.revoke(grant_id(revoked), sender=subject)
    return Grants(live, revoked, never, category, uncovered)
