"""What the portal refuses before any page runs, and how fast it lets passphrases be tried.

The portal listens on loopback for the one person whose key it serves. Two things a browser
does would otherwise let other web pages and other programs on the machine act through it
(outside review s31, F1-F4):

- **DNS rebinding.** A web page whose name its DNS server re-points at 127.0.0.1 talks to the
  portal as its own origin, so the browser lets it read the answers. The portal answers only a
  ``Host`` that is an IP address or ``localhost``, with the port it listens on: a rebinding
  page's Host is its own name (421, before any session exists).
- **One site, every port.** To a browser every port of 127.0.0.1 is the same site, and cookies
  ignore ports, so ``SameSite=Strict`` does not keep a page served by another program on
  loopback from sending the portal's cookie. A request that another site or another port
  started (Fetch Metadata ``Sec-Fetch-Site: cross-site`` or ``same-site``) is refused (403)
  before its session is looked at; what the user opens herself (``none``: a typed address, a
  bookmark) and what the portal's own pages ask for (``same-origin``) pass. A browser too old
  to send the header still sends ``Origin`` with a POST: it must be the portal's own (the
  portal's ``Referrer-Policy: same-origin`` lets its own forms say it; ``null`` is refused).
- **Passphrase guessing.** One key decryption at a time (the keystore's scrypt takes ~256 MiB
  and most of a second); after :data:`FREE_TRIES` wrong passphrases in a row each further try
  waits 1, 2, 4 ... seconds, at most :data:`MAX_WAIT`; the run is forgotten
  :data:`FORGIVE_SECONDS` after its last wrong passphrase. Each wrong one is logged. The bound
  is a trade: a program that keeps guessing gets one guess a minute, and keeps her waiting up
  to a minute for each try of hers (docs/portal.md).

Not covered (docs/portal.md): a program listening on loopback that the browser visits receives
the cookie (browsers send it to every port) and can replay it from outside a browser while the
session holds the key.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections.abc import Callable, Mapping

#: the request body the portal reads at most (a 64 KiB consent file, a form that carries one)
MAX_BODY = 512 * 1024
#: form fields and files one request may carry (the largest form has a dozen fields)
FORM_LIMITS = {"max_fields": 64, "max_files": 2, "max_part_size": 256 * 1024}
#: wrong passphrases in a row that cost nothing; each one after waits twice as long
FREE_TRIES = 3
MAX_WAIT = 60.0
#: a run of wrong passphrases is forgotten this long after its last one
FORGIVE_SECONDS = 900.0
#: Sec-Fetch-Site values of requests the user or the portal's own pages started
OWN_SITES = {"same-origin", "none"}


def host_refusal(host: str | None, port: int | None) -> str | None:
    """Why a request with ``Host: host`` to the portal listening on ``port`` is refused, or
    None. An IP address (any: that is no name a DNS server could re-point) or ``localhost``,
    with the listening port (or none, if that is 80)."""
    if not host:
        return "no Host header"
    if host.startswith("["):  # an IPv6 address: [::1]:8600
        end = host.find("]")
        name, rest = host[1:end], host[end + 1 :]
        if end < 0 or (rest and not rest.startswith(":")):
            return "a malformed Host"
        given = rest[1:]
    else:
        name, _, given = host.partition(":")
        if ":" in given:
            return "a malformed Host"
    if given != (str(port) if given or port != 80 else ""):
        return f"another port ({given or 'none'})"
    if name.lower() == "localhost":
        return None
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return f"a name, not this machine's address ({name[:80]!r})"
    return None


def site_refusal(method: str, headers: Mapping[str, str], own_origin: str) -> str | None:
    """Why a request another site or another program's page started is refused, or None."""
    site = headers.get("sec-fetch-site")
    if site is not None:  # the browser's own word; no page can set or change it
        return None if site in OWN_SITES else f"started by a {site} page"
    origin = headers.get("origin")
    if method not in ("GET", "HEAD", "OPTIONS") and origin is not None and origin != own_origin:
        return f"a form of {origin[:80]!r}"
    return None


def size_refusal(length: str | None) -> str | None:
    """Why a request whose ``Content-Length`` is ``length`` is refused unread, or None (a body
    without a length is counted as it arrives, by Starlette's limit)."""
    if length is not None and length.isdigit() and int(length) > MAX_BODY:
        return f"a body of {length} bytes"
    return None


class Pace:
    """Wrong passphrases in a row slow down the next try (one portal process, one key)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        #: held while a passphrase is tried: one key decryption (~256 MiB of scrypt) at a time
        self.lock = threading.Lock()
        self.failures = 0
        self._clock = clock
        self._not_before = 0.0
        self._last = 0.0

    def wait(self) -> int:
        """Whole seconds before the next try is taken (0: now)."""
        now = self._clock()
        if self.failures and now - self._last > FORGIVE_SECONDS:
            self.succeeded()
        return max(0, math.ceil(self._not_before - now))

    def failed(self) -> None:
        self.failures += 1
        self._last = self._clock()
        if self.failures >= FREE_TRIES:
            delay = min(2.0 ** (self.failures - FREE_TRIES), MAX_WAIT)
            self._not_before = self._last + delay

    def succeeded(self) -> None:
        self.failures = 0
        self._not_before = 0.0
