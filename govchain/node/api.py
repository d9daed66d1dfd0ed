"""The data node's HTTP layer: request and answer models (pydantic), the OpenAPI schema, the
access log and the metrics around :class:`govchain.node.server.DataNode`.

Every body is read with a size limit and a deadline, parsed as JSON, then validated against its
model: a body that does not fit is refused ``malformed_request`` (400) naming the first field
that does not, before any signature is recovered. The decisions (signature, grant, access
record, release) stay :class:`DataNode`'s, which re-checks every field it uses. Refusals keep
``{"reason", "detail"}`` and the status of :data:`govchain.node.protocol.REFUSALS`.

``GET /openapi.json`` is the schema; ``GET /metrics`` the Prometheus text (see
:mod:`govchain.node.metrics`; 401 without its bearer token when one is configured). Each request to ``/v1/…`` is one JSON line of the access log
(``time``, ``event``, ``path``, ``status``, ``outcome``, ``reason``, ``signer``, ``grant``,
``category``, ``duration_ms``): the signer is the key the request's signature recovers to (null
if the request was refused before it could be recovered), grant and category as the request
names them. No content, no subject, no salt is logged.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from govchain.node.chain import ZERO32
from govchain.node.deadline import Deadline
from govchain.node.fastpath import Chunks, NodeApp, answer_post, asgi_chunks, header, send_json
from govchain.node.models import (
    FETCH_REFUSALS,
    SUBJECT_REFUSALS,
    FetchAnswer,
    FetchBody,
    Health,
    RefusalBody,  # noqa: F401  (re-exported: the schema's refusal model)
    SubjectBody,
    SubjectList,
    refusal_statuses,
)
from govchain.node.protocol import (
    Refusal,
    address,
    b32,
    forget_signer,
    last_signer,
    recover,
    uint,
)

log = logging.getLogger("govchain.node")

# --- identification for the access log ----------------------------------------------------------


def _identify(node: Any, kind: str, body: Mapping[str, Any]) -> dict[str, str | None]:
    """Who signed, which grant and category the request names (best effort, never raises)."""
    info: dict[str, str | None] = {}
    req = body.get("request")
    if not isinstance(req, Mapping):
        return info
    try:
        info["category"] = "0x" + b32(req.get("category"), "").hex()
        if kind == "grant":
            info["grant"] = "0x" + b32(req.get("grantId"), "").hex()
            msg = {
                "grantId": b32(req.get("grantId"), ""),
                "category": b32(req.get("category"), ""),
                "subject": address(req.get("subject"), ""),
                "recordId": b32(req.get("recordId"), ""),
                "nonce": uint(req.get("nonce"), ""),
                "expiry": uint(req.get("expiry"), ""),
            }
            digest = node.data_digest(msg)
        else:
            msg = {
                "department": b32(req.get("department"), ""),
                "subject": address(req.get("subject"), ""),
                "category": b32(req.get("category"), ""),
                "recordId": b32(req.get("recordId"), ""),
                "nonce": uint(req.get("nonce"), ""),
                "expiry": uint(req.get("expiry"), ""),
            }
            digest = node.subject_digest(msg)
        info["signer"] = recover(digest, body.get("signature"))[0]
    except Refusal:
        pass
    if info.get("grant") == "0x" + ZERO32.hex():
        info["grant"] = None
    return info


# --- observing: access log and metrics --------------------------------------------------------


class Observer:
    """Writes each request's access-log line and counts it in the metrics."""

    def __init__(self, access_log: logging.Logger | None, metrics: Any | None) -> None:
        self.access_log = access_log
        self.metrics = metrics

    @property
    def logging_on(self) -> bool:
        """Whether requests are logged (a reload may open or close the log while serving)."""
        return self.access_log is not None and bool(self.access_log.handlers)

    def record(
        self,
        path: str,
        status: int,
        outcome: str,
        reason: str | None,
        info: Mapping[str, str | None],
        seconds: float,
    ) -> None:
        if self.metrics is not None:
            self.metrics.observe(path, outcome, reason, seconds)
        if self.access_log is not None and self.logging_on:
            line = {
                "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "event": "request",
                "path": path,
                "status": status,
                "outcome": outcome,
                "reason": reason,
                "signer": info.get("signer"),
                "grant": info.get("grant"),
                "category": info.get("category"),
                "duration_ms": round(seconds * 1000, 3),
            }
            self.access_log.info(json.dumps(line, separators=(",", ":")))


# --- the app ----------------------------------------------------------------------------------


def _validate(model: type[BaseModel], body: Mapping[str, Any]) -> None:
    try:
        model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise Refusal("malformed_request", f"{where}: {first['msg']}"[:300]) from None


def build_app(
    node: Any,
    *,
    access_log: logging.Logger | None = None,
    metrics: Any | None = None,
) -> FastAPI:
    """The FastAPI app of one data node (``metrics``: a :class:`~govchain.node.metrics.NodeMetrics`,
    or None for no ``/metrics``)."""
    app = NodeApp(
        title="govchain data node",
        version="1",
        description=(__doc__ or "").split("\n\n")[0],
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    limit, timeout = node.config.max_body_bytes, node.config.request_timeout
    observer = Observer(access_log, metrics)
    models: dict[str, type[BaseModel]] = {}

    async def handle(
        path: str,
        kind: str,
        model: type[BaseModel],
        action: Callable[[Mapping[str, Any]], dict[str, Any]],
        declared: str | None,
        chunks: Chunks,
        on_loop: Callable[[Mapping[str, Any], Deadline], Awaitable[dict[str, Any]]] | None,
    ) -> tuple[int, bytes]:
        started = time.perf_counter()
        info: dict[str, str | None] = {}

        def run(body: Mapping[str, Any]) -> dict[str, Any]:
            if not observer.logging_on:
                _validate(model, body)
                return action(body)
            info.update(_identify(node, kind, body))
            forget_signer()
            try:
                _validate(model, body)
                return action(body)
            finally:  # formats _identify does not parse (offers, objections): who signed
                if info.get("signer") is None:
                    info["signer"] = last_signer()

        async def run_on_loop(body: Mapping[str, Any], deadline: Deadline) -> dict[str, Any]:
            assert on_loop is not None
            if observer.logging_on:  # kinds _identify parses: no thread's last signer needed
                info.update(_identify(node, kind, body))
            _validate(model, body)
            return await on_loop(body, deadline)

        status, payload, refusal = await answer_post(
            app.pool,
            declared,
            chunks,
            run,
            limit=limit,
            timeout=timeout,
            where=path,
            on_loop=run_on_loop if on_loop is not None else None,
        )
        outcome = "served" if status == 200 else "refused" if refusal is not None else "error"
        reason = refusal.reason if refusal is not None else None
        observer.record(path, status, outcome, reason, info, time.perf_counter() - started)
        return status, payload

    def route(
        path: str,
        kind: str,
        model: type[BaseModel],
        answer: type[BaseModel],
        refusals: tuple[str, ...],
        action: Callable[[Mapping[str, Any]], dict[str, Any]],
        summary: str,
        on_loop: Callable[[Mapping[str, Any], Deadline], Awaitable[dict[str, Any]]] | None = None,
    ) -> None:
        """Mounts a POST route answered by ``action`` on the app's thread pool, or by
        ``on_loop``, the same decision as a coroutine of the event loop."""

        async def endpoint(request: Request) -> Response:  # NodeApp answers POSTs itself
            stream = request.stream().__aiter__()

            async def chunks() -> tuple[bytes, bool]:
                try:
                    return await stream.__anext__(), True
                except StopAsyncIteration:
                    return b"", False

            declared = request.headers.get("content-length")
            status, payload = await handle(path, kind, model, action, declared, chunks, on_loop)
            return Response(payload, status, media_type="application/json")

        async def post(declared: str | None, chunks: Chunks) -> tuple[int, bytes]:
            return await handle(path, kind, model, action, declared, chunks, on_loop)

        async def fast(scope: Any, receive: Any, send: Any) -> None:
            status, payload = await post(header(scope, b"content-length"), asgi_chunks(receive))
            await send_json(send, status, payload)

        app.fast_routes[path] = fast
        app.post_routes[path] = post  # the same request path, for granian's RSGI (rsgi.py)
        models[path] = model
        app.add_api_route(
            path,
            endpoint,
            methods=["POST"],
            summary=summary,
            operation_id=path.strip("/").replace("/", "_"),
            responses={200: {"model": answer}, **refusal_statuses(*refusals)},
        )

    app.state.route = route  # services2: offers and objection texts mount through it
    route("/v1/records/fetch", "grant", FetchBody, FetchAnswer, FETCH_REFUSALS, node.fetch,
          "A grantee department's member fetches one record under a grant",
          getattr(node, "fetch_on_loop", None))  # fmt: skip
    route("/v1/subject/fetch", "subject", SubjectBody, FetchAnswer, SUBJECT_REFUSALS,
          node.subject_fetch, "A citizen fetches one of their own records")  # fmt: skip
    route("/v1/subject/list", "subject", SubjectBody, SubjectList, SUBJECT_REFUSALS,
          node.subject_list, "A citizen lists their own records held here")  # fmt: skip

    async def health() -> Response:
        started = time.perf_counter()
        result = await run_in_threadpool(node.health)
        observer.record("/v1/health", 200, "served", None, {}, time.perf_counter() - started)
        return JSONResponse(result)

    app.add_api_route(
        "/v1/health",
        health,
        methods=["GET"],
        summary="The node's department and whether it reaches the chain",
        operation_id="v1_health",
        responses={200: {"model": Health}},
    )

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for path, model in models.items():
                body = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(body.pop("$defs", {}))
                components[model.__name__] = body
                schema["paths"][path]["post"]["requestBody"] = {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": f"#/components/schemas/{model.__name__}"}
                        }
                    },
                }
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    async def openapi_json() -> Response:
        return JSONResponse(app.openapi())

    app.add_api_route("/openapi.json", openapi_json, methods=["GET"], include_in_schema=False)
    if metrics is not None:

        async def metrics_text(request: Request) -> Response:
            if not metrics.gate.allows(request.headers.get("authorization")):
                return JSONResponse(
                    {"reason": "unauthorized", "detail": "GET /metrics needs its bearer token"},
                    401,
                    headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
                )
            data, content_type = await run_in_threadpool(metrics.render)
            return Response(data, media_type=content_type)

        app.add_api_route("/metrics", metrics_text, methods=["GET"], include_in_schema=False)
    return app
