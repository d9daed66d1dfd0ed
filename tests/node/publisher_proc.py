"""A publisher process for the crash test: publishes a fixed set of records, then anchors them.

``--crash-at POINT:N`` stops at the N-th time the publisher reaches POINT (``row_written``,
``published``, ``batch_prepared``, ``tx_sent``, ``tx_mined``): it prints ``CRASHPOINT POINT`` and waits to be
killed (the test sends SIGKILL). A restarted process publishes the same input again: the
publisher's idempotency (same content = no-op) makes it carry on where the killed one stopped.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter

from eth_account import Account

from govchain.network import make_web3
from govchain.node.anchors import ChainAnchorSink
from govchain.node.chain import ChainAddresses
from govchain.node.publisher import AnchorWorker, Publisher
from govchain.node.store import BATCH, SINGLE, Store

CATEGORY = b"HRSS.PENSION".ljust(32, b"\0")
OWNER = b"HRSS".ljust(32, b"\0")
SINGLES, BATCHED = 3, 5


def plan(prefix: str) -> list[tuple[bytes, str]]:
    out = [(f"{prefix}-s{i}".encode().ljust(32, b"\0"), SINGLE) for i in range(SINGLES)]
    out += [(f"{prefix}-b{i}".encode().ljust(32, b"\0"), BATCH) for i in range(BATCHED)]
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--rpc", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--addresses", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--crash-at", default="")
    args = parser.parse_args()
    point, _, nth = args.crash_at.partition(":")
    seen: Counter[str] = Counter()

    def hook(name: str) -> None:
        seen[name] += 1
        if name == point and seen[name] == int(nth or 1):
            print(f"CRASHPOINT {name}", flush=True)
            while True:
                time.sleep(60)

    store = Store(args.db)
    publisher = Publisher(store, OWNER, hook=hook)
    for record_id, mode in plan(args.prefix):
        publisher.publish(CATEGORY, record_id, {"id": record_id.hex()}, subject=None, mode=mode)
    w3 = make_web3(args.rpc)
    sink = ChainAnchorSink(
        w3, ChainAddresses(**json.loads(args.addresses)), Account.from_key(args.key)
    )
    AnchorWorker(store, sink, hook=hook).drain()
    print("DRAINED", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
