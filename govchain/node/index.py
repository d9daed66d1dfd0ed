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
  back to the receipt. It follows reorganisations: before indexing past the block it last
  indexed, it checks that block's hash against the chain's; if that block was replaced (a
  reorganisation, or a devnet reverted to a snapshot) the index is emptied and rebuilt from the
  chain, so a record mined in a block that is no longer on the chain is never answered from it.
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
        block_hash: Callable[[int], str | None],
        *,
        limit: int = 200_000,
        hash_and_logs: Callable[[int, int, int], tuple[str | None, Sequence[Mapping[str, Any]]]]
        | None = None,
    ) -> None:
        self._fetch_logs = fetch_logs  # (from_block, to_block) -> raw AccessRecorded logs
        # (block, from_block, to_block) -> (the block's hash now, the logs): both in one round
        # trip (a JSON-RPC batch); None: two reads
        self._hash_and_logs = hash_and_logs
        self._parse = parse
        self._block_hash = block_hash  # the chain's hash of a block number now (None: no block)
        self._limit = limit
        self._synced = -1  # the last block whose logs are indexed
        self._synced_hash = ""  # its hash when it was indexed
        self._heads: OrderedDict[int, str] = OrderedDict()  # recent heads indexed: number -> hash
        self.rebuilds = 0  # reorganisations seen (the index emptied and rebuilt)
        self.discarded = 0  # batches of logs not indexed: the head changed while they were read
        # request hash -> [(transaction hash, block number, record)]
        self._records: OrderedDict[bytes, list[tuple[str, int, AccessRecord]]] = OrderedDict()
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()

    @property
    def synced_to(self) -> int:
        return self._synced

    def synced_at(self, head: tuple[int, str]) -> bool:
        """Whether the logs of every block up to ``head`` (number, hash) are indexed."""
        return self._heads.get(head[0]) == head[1]

    def sync(self, head: tuple[int, str]) -> None:
        """Index the logs of every block up to ``head`` (number, hash): one ``eth_getLogs`` per
        new head, after one read of the hash of the block indexed last (a changed hash: the
        chain was reorganised under the index, which is emptied and rebuilt) and before one
        of the head's (changed: the logs may be another fork's and are not indexed)."""
        number, head_hash = head
        if self._heads.get(number) == head_hash:
            return  # this head, or a newer one on the same chain, is indexed
        with self._sync_lock:  # one thread follows the chain; the others wait for it
            if self._heads.get(number) == head_hash:
                return
            logs: Sequence[Mapping[str, Any]] | None = None
            if self._synced >= 0 and self._synced < number and self._hash_and_logs is not None:
                # the check of the block indexed last and the logs after it in one round trip:
                # the logs are used only if that block is still the chain's, and (below) only if
                # the head is still the chain's after they were read
                synced_hash, logs = self._hash_and_logs(self._synced, self._synced + 1, number)
                reorganised = synced_hash != self._synced_hash
            else:
                reorganised = (
                    self._synced >= 0 and self._block_hash(self._synced) != self._synced_hash
                )
            if reorganised:
                logs = None
                with self._lock:
                    self._records.clear()
                    self._synced, self._synced_hash = -1, ""
                    self._heads.clear()
                self.rebuilds += 1
            start = self._synced + 1
            if start > number:
                return  # an older head than the one indexed (a slower reader): nothing to add
            if logs is None:
                logs = self._fetch_logs(start, number)
            if self._block_hash(number) != head_hash:
                # reorganised between the head read and eth_getLogs (review s26 I-1): these logs
                # may be another fork's; index nothing now, the next head read starts again
                self.discarded += 1
                return
            with self._lock:
                for log in logs:
                    if log.get("removed"):
                        continue
                    rec = self._parse(log)
                    tx = str(log["transactionHash"]).lower()
                    block = int(str(log["blockNumber"]), 16)
                    self._records.setdefault(rec.request_hash, []).append((tx, block, rec))
                while len(self._records) > self._limit:
                    self._records.popitem(last=False)
                self._synced, self._synced_hash = number, head_hash
                self._heads[number] = head_hash
                while len(self._heads) > 256:
                    self._heads.popitem(last=False)

    def lookup(
        self, request_hash: bytes, tx_hash: str, head: int | None = None
    ) -> list[AccessRecord] | None:
        """The records with ``request_hash`` in transaction ``tx_hash`` mined at or before block
        ``head``, or None when the index does not know the request (ask the receipt)."""
        with self._lock:
            found = self._records.get(request_hash)
        if not found:
            return None
        tx = tx_hash.lower()
        records = [rec for t, block, rec in found if t == tx and (head is None or block <= head)]
        return records or None
