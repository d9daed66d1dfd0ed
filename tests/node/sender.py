"""A lean load sender for the data node: pre-built HTTP/1.1 requests over raw kept-alive
connections, in a process of its own (``python -m tests.node.sender IN OUT HOST PORT CONNS``).

The benchmarks' load generator must not take the node's cores: httpx in client threads costs
more CPU per request than the node saves. Here every request is bytes built before the clock
starts (:func:`raw_request`); ``CONNS`` asyncio connections each send the next one, read the
answer (status line, headers, ``Content-Length`` body) and keep the raw answer for the parent to
parse after the clock stops. A connection is not reused after a 413 (the node refuses a body
past its limit without reading the rest, then closes the connection) or once the node closed it. ``IN`` is a pickled list of request bytes,
``IN`` holds the requests, each after its length (4 bytes, big-endian); ``OUT`` receives JSON
``{"seconds", "answers": [[status, body, seconds], ...]}``; status 0 is no answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

CHUNK = 4096  # bytes of each chunk of a chunked body


def raw_request(host: str, port: int, path: str, body: bytes, *, chunked: bool = False) -> bytes:
    """One POST of ``body`` as bytes on the wire (``chunked``: without Content-Length)."""
    head = f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
    if not chunked:
        return (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    parts = [(head + "Transfer-Encoding: chunked\r\n\r\n").encode()]
    for start in range(0, len(body), CHUNK):
        piece = body[start : start + CHUNK]
        parts.append(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
    parts.append(b"0\r\n\r\n")
    return b"".join(parts)


async def _answer(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, the node keeps the connection) of one answer."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, keep = 0, True
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection" and value.strip().lower() == "close":
            keep = False
    return status, await reader.readexactly(length), keep


async def send_all(
    host: str, port: int, requests: Sequence[bytes], conns: int
) -> tuple[float, list[tuple[int, bytes, float]]]:
    out: list[tuple[int, bytes, float]] = [(0, b"", 0.0)] * len(requests)
    position = iter(range(len(requests)))

    async def connection() -> None:
        reader = writer = None
        for i in position:
            start = time.perf_counter()
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, port)
                assert reader is not None
                writer.write(requests[i])
                # the node may answer before reading all of it: its answer is read below
                with contextlib.suppress(ConnectionError):
                    await writer.drain()
                status, body, keep = await _answer(reader)
                out[i] = (status, body, time.perf_counter() - start)
                # a 413 may come before the node read the body, and the node then closes the
                # connection: not reused (what a careful client does)
                keep = keep and status != 413 and not reader.at_eof()
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                out[i] = (0, type(exc).__name__.encode(), time.perf_counter() - start)
                keep = False
            if not keep and writer is not None:
                writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(conns)))
    return time.perf_counter() - started, out


def frames(requests: Sequence[bytes]) -> bytes:
    """Requests as ``IN`` holds them."""
    return b"".join(len(r).to_bytes(4, "big") + r for r in requests)


def unframe(data: bytes) -> list[bytes]:
    out, at = [], 0
    while at < len(data):
        size = int.from_bytes(data[at : at + 4], "big")
        out.append(data[at + 4 : at + 4 + size])
        at += 4 + size
    return out


def main(argv: Sequence[str]) -> None:
    source, target, host, port, conns = argv
    requests = unframe(Path(source).read_bytes())
    seconds, answers = asyncio.run(send_all(host, int(port), requests, int(conns)))
    rows = [[status, body.decode("utf-8", "replace"), took] for status, body, took in answers]
    Path(target).write_text(json.dumps({"seconds": seconds, "answers": rows}))


if __name__ == "__main__":
    main(sys.argv[1:])
