"""A leaner transport for web3's JSON-RPC posts to loopback endpoints, in the test workers
(issue 20); installed by :func:`govchain.toolchain.apecalls.install`, never by the SDK or the CLI.

web3's ``HTTPProvider`` posts every JSON-RPC call through a ``requests.Session``: preparing the
request, merging settings, hooks, cookies and the adapter cost about as much CPU as the urllib3
exchange beneath them (~18 % of a test worker's CPU). Here a plain JSON-RPC post to a loopback
URL (:data:`LOOPBACK`) goes straight to urllib3: one ``HTTPConnectionPool`` per endpoint and
process (thread-safe, keep-alive, ten pooled connections like requests' adapter).

The seam is ``HTTPSessionManager.make_post_request``: the one method both
``HTTPProvider.make_request`` and ``make_batch_request`` call with the encoded body, and the
narrowest one that returns plain bytes (``get_response_from_post_request`` must return a
``requests.Response``, which would have to be built for every call). Everything above it stays
web3's: the retry loop (``exception_retry_configuration``), the provider's middlewares and the
plugin's ``forget_on_state_changes`` (it wraps ``HTTPProvider.make_request``, above the seam,
so requests of ``apecalls.FORGETTING`` still clear the memos).

What holds: the same body; the headers a ``requests.Session`` sends (its defaults
``User-Agent``/``Accept-Encoding``/``Accept``/``Connection``, overridden by web3's
``Content-Type: application/json`` and ``User-Agent``, then ``Content-Length``); the same
urllib3 call as ``HTTPAdapter.send`` (no redirects, ``Retry(0, read=False)``, web3's timeout
as connect and read timeout, a ``(connect, read)`` pair as such); the same ``requests``
exception for each urllib3 failure as ``HTTPAdapter.send`` and ``Response.content`` raise
(a refused connection ``requests.ConnectionError``, a slow answer ``requests.ReadTimeout``,
...), and for a status of 400 or more ``requests.HTTPError`` from ``raise_for_status`` with
the same message and a ``Response`` carrying status, reason, headers and body.

Left on requests: any other URL (``https``, another host, ``127.0.0.2``), a provider given its
own ``session``, a streamed post, a form body, any request keyword other than ``headers`` and
``timeout`` (proxies, auth, certificates). Not held: redirects are returned, not followed (no
JSON-RPC server on loopback redirects a POST), and cookies a loopback server sets are not sent
back (anvil sets none).
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Mapping
from typing import Any

import requests
import urllib3.exceptions as urllib3_errors
from requests.structures import CaseInsensitiveDict
from requests.utils import default_headers, get_encoding_from_headers
from urllib3 import HTTPConnectionPool, Timeout
from urllib3.connectionpool import connection_from_url
from urllib3.util.retry import Retry

LOOPBACK = ("http://127.0.0.1:", "http://localhost:", "http://[::1]:")


def loopback(url: object) -> bool:
    return str(url).startswith(LOOPBACK)


class LoopbackTransport:
    """Plain JSON-RPC posts through one urllib3 pool per endpoint and process, sent, answered
    and failing as through ``requests`` (see the module's docstring)."""

    RETRIES = Retry(0, read=False)  # requests' HTTPAdapter default
    POOL_SIZE = 10  # requests' DEFAULT_POOLSIZE; more threads open extra, unpooled connections

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.endpoints: dict[tuple[int, str], tuple[HTTPConnectionPool, str, str]] = {}
        self.headers: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
        self.timeouts: dict[Any, Timeout] = {}
        self.posts = 0

    def endpoint(self, uri: str) -> tuple[HTTPConnectionPool, str, str]:
        """(pool, path, url) of ``uri`` in this process (a forked child makes its own)."""
        key = (os.getpid(), uri)
        if (found := self.endpoints.get(key)) is None:
            with self.lock:
                if (found := self.endpoints.get(key)) is None:
                    prepared = requests.Request("POST", uri).prepare()
                    url = str(prepared.url)
                    pool = connection_from_url(url, maxsize=self.POOL_SIZE, block=False)
                    found = self.endpoints[key] = (pool, prepared.path_url, url)
        return found

    def request_headers(self, given: Mapping[str, str] | None, length: int) -> dict[str, str]:
        items = tuple((given or {}).items())
        if (merged := self.headers.get(items)) is None:
            # a Session's headers, then the request's (case-insensitive), as requests merges
            headers = default_headers()
            headers.update(dict(items))
            merged = self.headers[items] = {k: v for k, v in headers.items() if v is not None}
        return {**merged, "Content-Length": str(length)}

    def timeout(self, value: Any) -> Timeout:
        if isinstance(value, Timeout):
            return value
        if (found := self.timeouts.get(value)) is None:
            if isinstance(value, tuple):
                connect, read = value
                found = Timeout(connect=connect, read=read)
            else:
                found = Timeout(connect=value, read=value)
            self.timeouts[value] = found
        return found

    def post(self, uri: str, body: bytes, headers: Mapping[str, str] | None, timeout: Any) -> bytes:
        pool, path, url = self.endpoint(uri)
        self.posts += 1
        try:
            raw = pool.urlopen(
                "POST",
                path,
                body=body,
                headers=self.request_headers(headers, len(body)),
                redirect=False,
                assert_same_host=False,
                preload_content=False,
                decode_content=False,
                retries=self.RETRIES,
                timeout=self.timeout(timeout),
                chunked=False,
            )
        except (urllib3_errors.ProtocolError, OSError) as err:
            raise requests.ConnectionError(err) from err
        except urllib3_errors.MaxRetryError as err:
            reason = err.reason
            if isinstance(reason, urllib3_errors.ConnectTimeoutError) and not isinstance(
                reason, urllib3_errors.NewConnectionError
            ):
                raise requests.ConnectTimeout(err) from err
            if isinstance(reason, urllib3_errors.ResponseError):
                raise requests.exceptions.RetryError(err) from err
            raise requests.ConnectionError(err) from err
        except urllib3_errors.ClosedPoolError as err:
            raise requests.ConnectionError(err) from err
        except urllib3_errors.ReadTimeoutError as err:
            raise requests.ReadTimeout(err) from err
        except urllib3_errors.InvalidHeader as err:
            raise requests.exceptions.InvalidHeader(err) from err
        try:
            content = raw.read(decode_content=True)
        except urllib3_errors.ProtocolError as err:
            raw.close()
            raise requests.exceptions.ChunkedEncodingError(err) from err
        except urllib3_errors.DecodeError as err:
            raw.close()
            raise requests.exceptions.ContentDecodingError(err) from err
        except urllib3_errors.ReadTimeoutError as err:
            raw.close()
            raise requests.ConnectionError(err) from err
        finally:
            raw.release_conn()
        if raw.status >= 400:
            response = requests.Response()
            response.status_code = raw.status
            response.reason = raw.reason  # type: ignore[assignment]
            response.headers = CaseInsensitiveDict(raw.headers)
            response.encoding = get_encoding_from_headers(response.headers)
            response.url = url
            response._content = content
            response.raise_for_status()
        return content


TRANSPORT = LoopbackTransport()
# what the leaner path can carry; anything else (a proxy, auth, a certificate, a stream,
# a form body, an explicit session) stays on requests
PLAIN_KWARGS = frozenset({"headers", "timeout", "stream"})


def post_loopback_through_urllib3() -> None:
    """web3's ``HTTPSessionManager.make_post_request`` sends plain JSON-RPC posts to loopback
    endpoints through :data:`TRANSPORT` (see the module's docstring)."""
    from web3._utils.http import DEFAULT_HTTP_TIMEOUT
    from web3._utils.http_session_manager import HTTPSessionManager

    post = HTTPSessionManager.make_post_request
    if getattr(post, "_govchain", False):
        return

    @functools.wraps(post)
    def make_post_request(
        self: HTTPSessionManager, endpoint_uri: Any, data: Any, **kwargs: Any
    ) -> bytes:
        if (
            loopback(endpoint_uri)
            and isinstance(data, bytes)
            and kwargs.keys() <= PLAIN_KWARGS
            and not kwargs.get("stream")
            and getattr(self, "_explicit_session", None) is None
        ):
            timeout = kwargs.get("timeout", DEFAULT_HTTP_TIMEOUT)
            return TRANSPORT.post(str(endpoint_uri), data, kwargs.get("headers"), timeout)
        return post(self, endpoint_uri, data, **kwargs)

    make_post_request._govchain = True  # type: ignore[attr-defined]
    HTTPSessionManager.make_post_request = make_post_request  # type: ignore[method-assign]
