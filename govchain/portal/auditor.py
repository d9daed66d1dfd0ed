"""Auditor pages: anomalies (misuse audit, bulk access) and per-department statistics.

Statistics and bulk access come from the event index (every ``AccessRecorded``); refused
attempts and node-side failures from data nodes' JSON-lines access logs
(``--access-log DEPT=FILE``, :mod:`govchain.portal.accesslog`); the misuse
audit (:mod:`govchain.audit.misuse`) compares a data node's serve log with the chain and the
tamper audit (:mod:`govchain.audit.tamper`) its records with their anchors, for each store the
portal was given (``--store DEPT=URL|FILE``). The chart is an SVG drawn on the
server by pygal (pinned in the Python dependencies) and shown as an image: no JavaScript.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pygal
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from govchain.audit.misuse import audit_misuse
from govchain.audit.tamper import audit_tamper
from govchain.errors import GovchainError
from govchain.indexer import QUERY_EVENTS
from govchain.indexer.schema import events
from govchain.node.chain import ChainAddresses, RpcChain
from govchain.node.protocol import REFUSALS
from govchain.node.store import Store
from govchain.portal import accesslog
from govchain.portal.backend import CHAIN_ERRORS, ROLE_AUDITOR, Backend, Problem, Roles
from govchain.portal.graph import reads_svg
from govchain.portal.timeline import _code
from govchain.portal.web import Forbidden
from govchain.sharing.base import Departments, code_name
from govchain.timefmt import day as calendar_day

if TYPE_CHECKING:
    from govchain.portal.web import Portal

DAY = 86_400
#: an SVG shown as an image runs no script; its own styles are inline
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'"


@dataclass(frozen=True)
class Stats:
    departments: list[str]
    made: dict[str, int]  # as grantee: requests made
    to_data: dict[str, int]  # as owner: requests for its data
    reads: dict[tuple[str, str], int]  # (grantee, owner) -> count
    days: list[str]
    per_day: dict[str, dict[str, int]]  # grantee -> day -> count


def _accesses(engine: Engine, since: int | None = None) -> list[Any]:
    query = select(events.c.block_timestamp, events.c.args).where(
        events.c.event.in_(QUERY_EVENTS["access"])
    )
    if since is not None:
        query = query.where(events.c.block_timestamp >= since)
    with engine.connect() as conn:
        return list(conn.execute(query))


def statistics(engine: Engine) -> Stats:
    made: Counter[str] = Counter()
    to_data: Counter[str] = Counter()
    reads: Counter[tuple[str, str]] = Counter()
    per_day: dict[str, Counter[str]] = defaultdict(Counter)
    for row in _accesses(engine):
        grantee, owner = _code(row.args.get("grantee")), _code(row.args.get("owner"))
        made[grantee] += 1
        to_data[owner] += 1
        reads[(grantee, owner)] += 1
        day = calendar_day(row.block_timestamp or 0)
        per_day[grantee][day] += 1
    departments = sorted(set(made) | set(to_data))
    days = sorted({d for c in per_day.values() for d in c})
    return Stats(
        departments,
        dict(made),
        dict(to_data),
        dict(reads),
        days,
        {k: dict(v) for k, v in per_day.items()},
    )


def node_logs(backend: Backend, problems: list[Problem]) -> list[accesslog.NodeLog]:
    """Every access log the portal was given (``--access-log DEPT=FILE``), summarised."""
    out = []
    for dept, path in backend.config.access_logs:
        try:
            out.append(accesslog.read(dept, path))
        except OSError as exc:
            problems.append(Problem(f"access log {dept}", f"{path}: {exc.strerror or exc}"))
    return out


def signer_departments(backend: Backend, signers: set[str], chain_down: bool) -> dict[str, str]:
    """Signer address -> its department on chain now (DepartmentRegistry.memberOf, cached)."""
    out: dict[str, str] = {}
    if chain_down:
        return out
    members = Departments(backend.connection())
    failing: tuple[type[BaseException], ...] = (*CHAIN_ERRORS, ValueError)

    def member(signer: str) -> Callable[[], tuple[bytes, int, bool]]:
        return lambda: members.member_of(signer)

    for signer in sorted(signers):
        try:
            found = backend.cached(f"member:{signer}", 60.0, member(signer))
        except failing:
            continue
        if any(found[0]):
            out[signer] = code_name(found[0])
    return out


@dataclass(frozen=True)
class Failures:
    """Per department: its node's refusals and errors, its officials' refused attempts at any
    node, and its sharing requests the data's owner rejected (on chain)."""

    departments: list[str]
    refused_at_node: dict[str, int]
    errors_at_node: dict[str, int]
    served_at_node: dict[str, int]
    attempts_refused: dict[str, int]
    requests_rejected: dict[str, int]


def failures(engine: Engine, logs: list[accesslog.NodeLog], members: dict[str, str]) -> Failures:
    refused: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    served: Counter[str] = Counter()
    attempts: Counter[str] = Counter()
    for log in logs:
        refused[log.department] += log.refused
        errors[log.department] += log.errors
        served[log.department] += log.served
        for signer, n in log.refused_by_signer.items():
            attempts[members.get(signer, "?")] += n
    rejected: Counter[str] = Counter()
    query = select(events.c.args).where(events.c.event == "ShareRequestRejected")
    with engine.connect() as conn:
        for row in conn.execute(query):
            rejected[_code(row.args.get("grantee"))] += 1
    names = sorted(set(refused) | set(errors) | set(attempts) | set(rejected) | set(served))
    return Failures(
        names, dict(refused), dict(errors), dict(served), dict(attempts), dict(rejected)
    )


def bulk_access(engine: Engine, threshold: int, hours: int, now: int) -> list[dict[str, Any]]:
    """Officials (keys) who recorded more than ``threshold`` accesses in the last ``hours``."""
    counts: Counter[tuple[str, str]] = Counter()
    subjects: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in _accesses(engine, now - hours * 3600):
        key = (str(row.args.get("member")), _code(row.args.get("grantee")))
        counts[key] += 1
        subjects[key].add(str(row.args.get("subject")))
    return [
        {"member": m, "department": d, "accesses": n, "subjects": len(subjects[(m, d)])}
        for (m, d), n in counts.most_common()
        if n > threshold
    ]


def chart(stats: Stats, labels: tuple[str, str, str]) -> str:
    """A grouped bar chart (requests made / requests for its data, per department) as SVG."""
    bar = pygal.Bar(
        js=[],
        disable_xml_declaration=False,
        width=800,
        height=360,
        legend_at_bottom=True,
        title=labels[0],
        style=pygal.style.CleanStyle(font_family="Noto Sans CJK SC, sans-serif"),
    )
    bar.x_labels = stats.departments
    bar.add(labels[1], [stats.made.get(d, 0) for d in stats.departments])
    bar.add(labels[2], [stats.to_data.get(d, 0) for d in stats.departments])
    return str(bar.render(is_unicode=True))


def register(app: FastAPI, portal: Portal) -> None:
    backend = portal.backend

    def auditor(request: Request) -> tuple[Roles, list[Problem]]:
        portal.account(request)
        problems, roles = portal.page_state(request)
        if roles is None or not roles.has(ROLE_AUDITOR):
            raise Forbidden()
        index = backend.sync_index()
        if index is not None and not any(p.what == index.what for p in problems):
            problems.append(index)
        return roles, problems

    def store_reports(problems: list[Problem]) -> list[tuple[str, Any, Any]]:
        """Per given store: (department, misuse report, tamper report); None when it failed."""
        out: list[tuple[str, Any, Any]] = []
        if not backend.config.stores:
            return out
        connection = backend.connection()
        addresses = ChainAddresses.from_names(
            {n: c.address for n, c in connection.deployment.contracts.items()}
        )
        chain = RpcChain(connection.url, addresses, chain_id=connection.chain_id)
        for dept, url in backend.config.stores:
            store = Store(url)
            start = connection.deployment.deploy_block
            try:
                code = dept.encode().ljust(32, b"\0")
                misuse = audit_misuse(store, chain, code, start)
                tamper = audit_tamper(store, chain, code, start)
                out.append((dept, misuse, tamper))
            except (GovchainError, OSError, ValueError, SQLAlchemyError) as exc:
                problems.append(Problem(f"store {dept}", str(exc).splitlines()[0]))
                out.append((dept, None, None))
            finally:
                store.dispose()
        return out

    @app.get("/audit/anomalies", response_class=HTMLResponse)
    def anomalies(request: Request, threshold: str = "100", hours: str = "24") -> Response:
        roles, problems = auditor(request)
        errors: dict[str, str] = {}
        try:
            limit = int(threshold)
            if limit < 0:
                raise ValueError(limit)
        except ValueError:
            errors["threshold"] = "give.max_uses_bad"
            limit = 100
        try:
            window = int(hours)
            if not 1 <= window <= 24 * 366:
                raise ValueError(window)
        except ValueError:
            errors["hours"] = "audit.hours_bad"
            window = 24
        chain_down = any(p.what == "chain" for p in problems)
        reports = [] if chain_down else store_reports(problems)
        logs = node_logs(backend, problems)
        signers = {r.signer for log in logs for r in log.refusals if r.signer}
        members = signer_departments(backend, signers, chain_down)
        now = int(datetime.now(UTC).timestamp())
        context = {
            "reports": reports,
            "bulk": bulk_access(backend.engine(), limit, window, now),
            "threshold": threshold,
            "hours": hours,
            "errors": errors,
            "stores": [d for d, _ in backend.config.stores],
            "logs": logs,
            "members": members,
            "meanings": {code: meaning for code, (_status, meaning) in REFUSALS.items()},
            "ended_grant": accesslog.ENDED_GRANT,
        }
        status = 400 if errors else 200
        return portal.render(request, "anomalies.html", context, status, problems, roles)

    @app.get("/audit/stats", response_class=HTMLResponse)
    def stats_page(request: Request) -> Response:
        roles, problems = auditor(request)
        stats = statistics(backend.engine())
        logs = node_logs(backend, problems)
        signers = {s for log in logs for s in log.refused_by_signer}
        chain_down = any(p.what == "chain" for p in problems)
        members = signer_departments(backend, signers, chain_down)
        context = {
            "stats": stats,
            "failures": failures(backend.engine(), logs, members),
            "logs_given": bool(backend.config.access_logs),
            # lines no request record could be read from, per node: an insider may hide behind them
            "skipped": {log.department: log.skipped for log in logs if log.skipped},
        }
        return portal.render(request, "stats.html", context, 200, problems, roles)

    @app.get("/audit/stats.svg")
    def stats_svg(request: Request) -> Response:
        auditor(request)
        lang = portal.language(request)
        from govchain.portal.i18n import translate

        labels = (
            translate(lang, "stats.chart"),
            translate(lang, "stats.made"),
            translate(lang, "stats.to_data"),
        )
        svg = chart(statistics(backend.engine()), labels)
        response = Response(svg, media_type="image/svg+xml")
        response.headers["X-Portal-CSP"] = SVG_CSP
        return response

    @app.get("/audit/graph.svg")
    def graph_svg(request: Request) -> Response:
        auditor(request)
        from govchain.portal.i18n import translate

        stats = statistics(backend.engine())
        svg = reads_svg(
            stats.departments, stats.reads, translate(portal.language(request), "stats.graph")
        )
        response = Response(svg, media_type="image/svg+xml")
        response.headers["X-Portal-CSP"] = SVG_CSP
        return response
