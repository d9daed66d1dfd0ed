"""The node's POST endpoints answered straight from ASGI, in front of FastAPI's request stack.

:class:`NodeApp` is the FastAPI app of a data node. A ``POST`` to one of the paths the node
mounts through ``app.state.route`` (:func:`govchain.node.api.build_app`) is answered here, without
Starlette's middleware stack, FastAPI's routing and dependency solving, ``Request`` objects or
anyio's thread-pool hop: the body is read from ``receive`` with the same size limit, the work
runs on the app's own thread pool (``loop.run_in_executor``) - or, for the grant-checked fetch,
on the event loop itself with its blocking reads and writes batched on threads
(:mod:`govchain.node.onloop`) - and the answer is sent as JSON bytes. What is decided and answered is unchanged (:func:`answer_post` is the one request path both
this and the FastAPI endpoint of the same route use): every refusal keeps its code and status,
the OpenAPI schema is FastAPI's, and any other method, path or request goes to FastAPI as
before. On a loaded node this halves the CPU the HTTP layer costs per request
(docs/nodeperf.md).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import FastAPI

from govchain.errors import NetworkUnavailable
from govchain.node.chain import RpcFailed
from govchain.node.deadline import Deadline, working_under
from govchain.node.protocol import Refusal

log = logging.getLogger("govchain.node")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
#: reads the body's chunks: (bytes, more to come)
Chunks = Callable[[], Awaitable[tuple[bytes, bool]]]
Work = Callable[[Mapping[str, Any]], Any]
#: the same work as a coroutine on the event loop, given the request's deadline
LoopWork = Callable[[Mapping[str, Any], Deadline], Awaitable[Any]]

#: the threads a worker process answers requests on (Starlette's default is 40 too)
THREADS = 40


class NodeApp(FastAPI):
    """FastAPI, with the node's POST routes (``fast_routes``: path -> ASGI handler) answered
    before Starlette's stack; everything else (GET, the schema, metrics, other methods) as
    FastAPI answers it."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.fast_routes: dict[str, Callable[[Scope, Receive, Send], Awaitable[None]]] = {}
        #: the same routes without ASGI: (Content-Length, body chunks) -> (status, JSON body)
        self.post_routes: dict[
            str, Callable[[str | None, Chunks], Awaitable[tuple[int, bytes]]]
        ] = {}
        self._pool: ThreadPoolExecutor | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            handler = self.fast_routes.get(scope["path"])
            if handler is not None:
                await handler(scope, receive, send)
                return
        await super().__call__(scope, receive, send)

    @property
    def pool(self) -> ThreadPoolExecutor:
        """The threads the node's blocking work runs on (made in the process that serves)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(THREADS, thread_name_prefix="govchain-node")
        return self._pool


async def answer_post(
    pool: ThreadPoolExecutor,
    declared: str | None,
    chunks: Chunks,
    work: Work,
    *,
    limit: int,
    timeout: float,
    where: str,
    on_loop: LoopWork | None = None,
) -> tuple[int, bytes, Refusal | None]:
    """One POST: the JSON body read within ``limit`` bytes (``declared``: its Content-Length),
    ``work`` run on ``pool`` (or ``on_loop``, a coroutine given the request's deadline, run as a
    task of the loop), both within ``timeout`` seconds; a failure turned into its refusal (or a
    logged 500 that says nothing). Returns (status, JSON body, the refusal if refused)."""
    deadline = Deadline(time.monotonic() + timeout)
    done: asyncio.Future[Any] | None = None
    try:
        try:
            async with asyncio.timeout(timeout):
                # the timeout covers reading the body too: a client trickling it (slowloris) is
                # answered and let go after `timeout` seconds, freeing its connection slot
                body = await read_json(declared, chunks, limit)
                if on_loop is None:
                    done = submit_on(pool, work, body, deadline)
                else:
                    done = asyncio.ensure_future(on_loop(body, deadline))
                result = await asyncio.shield(done)
        except TimeoutError:
            # the work goes on in its thread (or task): give up only if its spend has not begun
            # (it will then write nothing); once it has, the record is released and the answer
            # is owed
            if done is None or deadline.abandon():
                if done is not None:
                    done.cancel()  # what the thread settles later is dropped, not logged
                raise
            result = await done
        return 200, dumps(result), None
    except Exception as exc:
        refusal = as_refusal(exc, timeout)
        if refusal is None:
            log.exception("unexpected failure of %s", where)
            return 500, dumps({"reason": "error", "detail": "internal error"}), None
        return refusal.status, dumps(refusal.body()), refusal


def submit_on(
    pool: ThreadPoolExecutor, work: Work, body: Mapping[str, Any], deadline: Deadline
) -> asyncio.Future[Any]:
    """``work(body)`` on ``pool`` under ``deadline`` (see :mod:`govchain.node.deadline`), as a
    future of the running loop: ``loop.run_in_executor`` without its second future chained to
    the pool's (the thread settles the loop's future directly; a result that comes after the
    caller gave up is dropped)."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[Any] = loop.create_future()

    def settle(result: Any, error: Exception | None) -> None:
        if done.done():  # cancelled: the request's deadline passed
            return
        if error is None:
            done.set_result(result)
        else:
            done.set_exception(error)

    def job() -> None:
        try:
            with working_under(deadline):
                result = work(body)
        except Exception as exc:
            loop.call_soon_threadsafe(settle, None, exc)
        else:
            loop.call_soon_threadsafe(settle, result, None)

    pool.submit(job)
    return done


async def read_json(declared: str | None, chunks: Chunks, limit: int) -> Mapping[str, Any]:
    """The body as a JSON object, refused ``body_too_large`` past ``limit`` bytes (declared or
    read) and ``malformed_request`` when it is not a JSON object."""
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise Refusal("body_too_large", f"at most {limit} bytes")
    parts, size, more = [], 0, True
    while more:
        chunk, more = await chunks()
        size += len(chunk)
        if size > limit:
            raise Refusal("body_too_large", f"at most {limit} bytes")
        parts.append(chunk)
    try:
        parsed = json.loads(b"".join(parts))
    except (ValueError, RecursionError):  # nesting deeper than the parser's recursion limit
        raise Refusal("malformed_request", "the body is not JSON") from None
    if not isinstance(parsed, Mapping):
        raise Refusal("malformed_request", "body must be an object")
    return parsed


def asgi_chunks(receive: Receive) -> Chunks:
    """The body's chunks from ASGI ``receive`` (a client gone before the end: a bad request)."""

    async def next_chunk() -> tuple[bytes, bool]:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Refusal("malformed_request", "the client left before the body ended")
        return message.get("body", b""), bool(message.get("more_body", False))

    return next_chunk


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def send_json(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def dumps(value: Any) -> bytes:
    """JSON as Starlette's ``JSONResponse`` writes it."""
    return json.dumps(
        value, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")


def as_refusal(exc: Exception, timeout: float) -> Refusal | None:
    if isinstance(exc, Refusal):
        return exc
    if isinstance(exc, TimeoutError):
        return Refusal("timeout", f"no answer within {timeout} s")
    if isinstance(exc, NetworkUnavailable):
        return Refusal("chain_unavailable")
    if isinstance(exc, RpcFailed):
        return Refusal("chain_error", str(exc))
    return None
