"""The data node's local view of the chain, so a request costs one tiny read instead of a batch.

Three pieces. :class:`HeadReads` reads the chain's head (number and hash) for each request with
a read that began after the request arrived, one read shared by the requests waiting for it;
the other two are keyed by that head, so every answer still holds at the latest block:

- :class:`HeadCache` — answers of views (``AccessGrants.accessStatus``, ``departmentStatus``,
  ``memberOf``, ``categoryInfo``) valid for one block: keyed by (head, call), dropped as soon as
  a new head is seen. Under load most requests name the same grant, category and member, so
  one batch per block answers them all; a revocation, suspension, removal or reclassification
  mined in block N is seen by every request that reads head N.
- :class:`AccessIndex` — every ``AccessRecorded`` event of AccessGrants, followed with
  ``eth_getLogs`` up to the head, indexed by ``requestHash``. A request's access record is
  verified locally; one not (yet) in the index is read from its transaction receipt, as before
  (the fallback). Logs carry their transaction hash, so the record must come from the
  transaction the request names. The index keeps the newest ``limit`` records; older ones fall
  back to the receipt. It does not handle reorganisations beyond what ``eth_getLogs`` at the
  head returns (a record whose block is replaced stays indexed): on a chain with reorgs run the
  node with the index off (``RpcChain(..., index=False)``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govchain.node.chain import AccessRecord


class HeadReads:
    """Reads of the chain's head shared by concurrent requests, never older than a request
    (thread-safe). :meth:`latest` returns the answer of a read that *began after it was
    called*: a caller that finds a read under way waits for it to end and for the next one,
    which every caller waiting by then shares. So each request is judged at a head at least as
    new as the chain's head when it arrived, and under load one read answers many requests
    instead of one each (a sequential caller still pays one read per call)."""

    def __init__(self, read: Callable[[], tuple[int, str]]) -> None:
        self._read = read
        self._cond = threading.Condition()
        self._started = 0  # reads begun
        self._done = 0  # the last read ended (its answer or error below)
        self._reading = False
        self._answer: tuple[int, str] = (-1, "")
        self._error: BaseException | None = None
        self.reads = 0  # head reads made (for the benchmarks)

    def latest(self) -> tuple[int, str]:
        with self._cond:
            need = self._started + 1  # the first read to begin from now on
            while self._done < need:
                if not self._reading:
                    self._reading = True
                    self._started += 1
                    mine = self._started
                    break
                self._cond.wait()
            else:
                if self._error is not None:
                    raise self._error
                return self._answer
        answer, error = self._answer, None
        try:
            answer = self._read()
        except BaseException as exc:
            error = exc
        with self._cond:
            self._reading = False
            self._done = mine
            self.reads += 1
            if error is None:  # even a lower head (a devnet reverted, a reorg): the chain's word
                self._answer = answer
            self._error = error
            self._cond.notify_all()
        if error is not None:
            raise error
        return answer


class HeadCache:
    """View answers for the current head only (thread-safe), keyed by the head's number and
    hash: a head replaced at the same height (a reorg, or a devnet reverted to a snapshot and
    mined again) never answers from the block it replaced."""

    def __init__(self) -> None:
        self._head: tuple[int, str] = (-1, "")
        self._answers: dict[Hashable, Any] = {}
        self._lock = threading.Lock()

    def get(self, head: tuple[int, str], key: Hashable) -> Any | None:
        with self._lock:
            if head != self._head:
                return None
            return self._answers.get(key)

    def put(self, head: tuple[int, str], key: Hashable, value: Any) -> None:
        with self._lock:
            # a newer head, or another block at the same height: the old answers are dropped
            if head[0] > self._head[0] or (head[0] == self._head[0] and head != self._head):
                self._head, self._answers = head, {}
            if head == self._head:
                self._answers[key] = value


class AccessIndex:
    """``AccessRecorded`` events by request hash, followed up to the head (thread-safe)."""

    def __init__(
        self,
        fetch_logs: Callable[[int, int], Sequence[Mapping[str, Any]]],
        parse: Callable[[Mapping[str, Any]], AccessRecord],
        *,
        limit: int = 200_000,
    ) -> None:
        self._fetch_logs = fetch_logs  # (from_block, to_block) -> raw AccessRecorded logs
        self._parse = parse
        self._limit = limit
        self._synced = -1  # the last block whose logs are indexed
        self._records: OrderedDict[bytes, list[tuple[str, AccessRecord]]] = OrderedDict()
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()

    @property
    def synced_to(self) -> int:
        return self._synced

    def sync(self, head: int) -> None:
        """Index the logs of every block up to ``head`` (one ``eth_getLogs`` per call)."""
        if self._synced >= head:
            return
        with self._sync_lock:  # one thread follows the chain; the others wait for it
            start = self._synced + 1
            if start > head:
                return
            logs = self._fetch_logs(start, head)
            with self._lock:
                for log in logs:
                    if log.get("removed"):
                        continue
                    rec = self._parse(log)
                    tx = str(log["transactionHash"]).lower()
                    self._records.setdefault(rec.request_hash, []).append((tx, rec))
                while len(self._records) > self._limit:
                    self._records.popitem(last=False)
                self._synced = head

    def lookup(self, request_hash: bytes, tx_hash: str) -> list[AccessRecord] | None:
        """The records with ``request_hash`` in transaction ``tx_hash``, or None when the index
        does not know the request (ask the receipt)."""
        with self._lock:
            found = self._records.get(request_hash)
        if not found:
            return None
        tx = tx_hash.lower()
        records = [rec for t, rec in found if t == tx]
        return records or None
