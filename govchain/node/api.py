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

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from govchain.errors import NetworkUnavailable
from govchain.node.chain import ZERO32, RpcFailed
from govchain.node.protocol import (
    REFUSALS,
    Refusal,
    address,
    b32,
    forget_signer,
    last_signer,
    recover,
    uint,
)

log = logging.getLogger("govchain.node")

Hex32 = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{64}$", examples=["0x" + "00" * 32])]
Address = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$")]
Signature = Annotated[str, Field(description="0x r‖s‖v, 65 bytes (recovered by the node)")]
Uint = Annotated[int, Field(ge=0, lt=2**256)] | Annotated[str, Field(pattern=r"^[0-9]{1,78}$")]
Uint40 = Annotated[int, Field(ge=0, lt=2**40)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")


class DataRequest(_Model):
    """The EIP-712 ``DataRequest`` a grantee department's member signs."""

    grantId: Hex32
    category: Hex32
    subject: Address
    recordId: Hex32
    nonce: Uint
    expiry: Uint


class GrantTerms(_Model):
    """The grant's terms (they hash to ``grantId``)."""

    subject: Address
    grantee: Hex32
    owner: Hex32
    categories: Annotated[list[Hex32], Field(min_length=1, max_length=64)]
    purposeHash: Hex32
    basis: Annotated[int, Field(ge=0, lt=256)]
    validFrom: Uint40
    validUntil: Uint40
    maxUses: Annotated[int, Field(ge=0, lt=2**32)]
    nonce: Uint


class FetchBody(_Model):
    """``POST /v1/records/fetch``: ``grant`` may be left out for an Unconditional category
    (``grantId`` zero)."""

    request: DataRequest
    signature: Signature | None = None  # missing: refused as unsigned
    accessTx: Hex32
    grant: GrantTerms | None = None


class SubjectRequest(_Model):
    """The EIP-712 ``SubjectRequest`` a citizen (or an agent of the identity) signs."""

    department: Hex32
    subject: Address
    category: Hex32
    recordId: Hex32
    nonce: Uint
    expiry: Uint


class SubjectBody(_Model):
    request: SubjectRequest
    signature: Signature | None = None


class AnchorProof(BaseModel):
    kind: Literal["single", "batch"]
    version: int
    root: Hex32 | None = None
    leafIndex: int | None = None
    proof: list[Hex32] | None = None


class FetchAnswer(BaseModel):
    """A released record: its content is in ``ciphertext`` (ECIES to the signer's key)."""

    department: Hex32
    category: Hex32
    recordId: Hex32
    version: int
    anchor: AnchorProof
    ciphertext: str


class ListedRecord(BaseModel):
    category: Hex32
    recordId: Hex32
    version: int
    recordHash: Hex32
    anchor: AnchorProof


class SubjectList(BaseModel):
    department: Hex32
    subject: Address
    records: list[ListedRecord]


class Health(BaseModel):
    department: Hex32
    chain: Literal["ok", "unavailable"]
    chainId: int | None = None


class RefusalBody(BaseModel):
    """Every refusal: a reason code of the protocol and a line of detail."""

    reason: Literal[tuple(REFUSALS)]  # type: ignore[valid-type]
    detail: str


def _refusal_statuses(*reasons: str) -> dict[int | str, dict[str, Any]]:
    statuses = sorted({REFUSALS[r][0] for r in reasons})
    return {
        status: {
            "model": RefusalBody,
            "description": "; ".join(r for r in reasons if REFUSALS[r][0] == status),
        }
        for status in statuses
    }


_BEFORE = ("malformed_request", "body_too_large", "timeout", "chain_unavailable", "chain_error")
_SIGNED = ("unsigned", "bad_signature", "malleable_signature", "request_expired", "expiry_too_far")
_RELEASE = (
    "owner_inactive",
    "nonce_replayed",
    "record_not_found",
    "record_not_anchored",
    "record_altered",
)
FETCH_REFUSALS = (
    *_BEFORE,
    *_SIGNED,
    *_RELEASE,
    "wrong_node",
    "not_grantee_member",
    "grant_mismatch",
    "no_grant",
    "grant_revoked",
    "consent_previous_key",
    "grant_not_yet_valid",
    "grant_expired",
    "category_not_covered",
    "subject_mismatch",
    "access_record_missing",
    "access_record_mismatch",
)
SUBJECT_REFUSALS = (*_BEFORE, *_SIGNED, *_RELEASE, "wrong_node", "not_subject_controller")


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


def _refused(refusal: Refusal) -> JSONResponse:
    return JSONResponse(refusal.body(), status_code=refusal.status)


async def _read_body(request: Request, limit: int) -> Mapping[str, Any]:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise Refusal("body_too_large", f"at most {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Refusal("body_too_large", f"at most {limit} bytes")
        chunks.append(chunk)
    try:
        parsed = json.loads(b"".join(chunks))
    except (ValueError, RecursionError):  # nesting deeper than the parser's recursion limit
        raise Refusal("malformed_request", "the body is not JSON") from None
    if not isinstance(parsed, Mapping):
        raise Refusal("malformed_request", "body must be an object")
    return parsed


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
    app = FastAPI(
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
        request: Request,
        path: str,
        kind: str,
        model: type[BaseModel],
        action: Callable[[Mapping[str, Any]], dict[str, Any]],
    ) -> Response:
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

        status, outcome, reason = 200, "served", None
        try:
            # the timeout covers reading the body too: a client trickling it (slowloris) is
            # answered and let go after `timeout` seconds, freeing its connection slot
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            body = await asyncio.wait_for(_read_body(request, limit), timeout)
            remaining = max(deadline - loop.time(), 0.001)
            result = await asyncio.wait_for(run_in_threadpool(run, body), remaining)
            response: Response = JSONResponse(result)
        except Exception as exc:
            refusal = _as_refusal(exc, timeout)
            if refusal is None:
                log.exception("unexpected failure of %s", path)
                status, outcome, reason = 500, "error", None
                response = JSONResponse({"reason": "error", "detail": "internal error"}, 500)
            else:
                status, outcome, reason = refusal.status, "refused", refusal.reason
                response = _refused(refusal)
        observer.record(path, status, outcome, reason, info, time.perf_counter() - started)
        return response

    def route(
        path: str,
        kind: str,
        model: type[BaseModel],
        answer: type[BaseModel],
        refusals: tuple[str, ...],
        action: Callable[[Mapping[str, Any]], dict[str, Any]],
        summary: str,
    ) -> None:
        async def endpoint(request: Request) -> Response:
            return await handle(request, path, kind, model, action)

        models[path] = model
        app.add_api_route(
            path,
            endpoint,
            methods=["POST"],
            summary=summary,
            operation_id=path.strip("/").replace("/", "_"),
            responses={200: {"model": answer}, **_refusal_statuses(*refusals)},
        )

    app.state.route = route  # services2: offers and objection texts mount through it
    route("/v1/records/fetch", "grant", FetchBody, FetchAnswer, FETCH_REFUSALS, node.fetch,
          "A grantee department's member fetches one record under a grant")  # fmt: skip
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


async def respond(
    request: Request,
    action: Callable[[Mapping[str, Any]], Any],
    *,
    limit: int,
    timeout: float,
) -> Response:
    """Answer one POST the way every node endpoint does: the JSON body read within ``limit``
    bytes, ``action`` run off the event loop, both within ``timeout`` seconds, a failure turned
    into its refusal (or a logged 500 that says nothing). The endpoints that other modules
    mount on the app (offers, objection texts) answer through it."""
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        body = await asyncio.wait_for(_read_body(request, limit), timeout)
        remaining = max(deadline - loop.time(), 0.001)
        result = await asyncio.wait_for(run_in_threadpool(action, body), remaining)
    except Exception as exc:
        refusal = _as_refusal(exc, timeout)
        if refusal is None:
            log.exception("unexpected failure of %s", request.url.path)
            return JSONResponse({"reason": "error", "detail": "internal error"}, 500)
        return _refused(refusal)
    return JSONResponse(result)


def _as_refusal(exc: Exception, timeout: float) -> Refusal | None:
    if isinstance(exc, Refusal):
        return exc
    if isinstance(exc, TimeoutError):
        return Refusal("timeout", f"no answer within {timeout} s")
    if isinstance(exc, NetworkUnavailable):
        return Refusal("chain_unavailable")
    if isinstance(exc, RpcFailed):
        return Refusal("chain_error", str(exc))
    return None
