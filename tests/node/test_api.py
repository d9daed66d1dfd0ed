"""The node's HTTP layer: its OpenAPI schema, a property-based run against that schema
(schemathesis), the store's migrations."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import create_engine

from govchain.node import migrate
from govchain.node.api import FETCH_REFUSALS, FetchAnswer, RefusalBody
from govchain.node.chain import RpcChain
from govchain.node.client import DataNodeClient
from govchain.node.protocol import REFUSALS
from govchain.node.publisher import Publisher
from govchain.node.server import DataNode, NodeConfig
from govchain.node.store import Base, Record, ServeLogEntry, Store, sqlite_url
from govchain.sharing import grant_tuple
from tests.node.conftest import CIVIL, HRSS, PENSION, Holdings, local, make_terms, rid
from tests.node.helpers import running_node
from tests.node.test_data_node import record

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzzed_url(hrss: Holdings, reader: RpcChain) -> Iterator[str]:
    node = DataNode(NodeConfig(HRSS, max_body_bytes=8192), hrss.store, reader)
    with running_node(node) as url:
        yield url


def test_the_openapi_schema_names_every_endpoint_body_and_refusal(fuzzed_url: str) -> None:
    schema = httpx.get(fuzzed_url + "/openapi.json").json()
    fetch = schema["paths"]["/v1/records/fetch"]["post"]
    assert fetch["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/FetchBody"
    }
    assert set(fetch["responses"]) == {"200"} | {str(REFUSALS[r][0]) for r in FETCH_REFUSALS}
    body = schema["components"]["schemas"]["DataRequest"]
    assert body["properties"]["grantId"]["pattern"] == "^0x[0-9a-fA-F]{64}$"
    reasons = schema["components"]["schemas"]["RefusalBody"]["properties"]["reason"]["enum"]
    assert set(reasons) == set(REFUSALS)
    assert FetchAnswer.model_json_schema()["required"] == [
        "department", "category", "recordId", "version", "anchor", "ciphertext",
    ]  # fmt: skip
    # a refusal is still {"reason", "detail"} with the protocol's status
    r = httpx.post(fuzzed_url + "/v1/subject/list", json={"request": {"subject": 7}})
    assert r.status_code == 400
    refusal = RefusalBody.model_validate(r.json())
    assert refusal.reason == "malformed_request" and refusal.detail.startswith("request.")


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_fuzzing_the_nodes_own_schema_finds_no_5xx_and_no_release(
    fuzzed_url: str, hrss: Holdings, mode: GenerationMode
) -> None:
    """Bodies made from the schema (and, negative, bodies that break it): never a 5xx, every
    answer as the schema says, and nothing released — no fuzzed request can carry a signature
    of a grantee's member with an access record on chain, or of a citizen."""
    schema = schemathesis.openapi.from_url(fuzzed_url + "/openapi.json")
    with hrss.store.session() as s:
        logged_before = s.query(ServeLogEntry).count()
    seen: dict[str, set[int]] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if mode == GenerationMode.NEGATIVE and operation.path == "/v1/health":
            continue  # no parameters, no body: nothing to break

        @settings(
            max_examples=40,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Any) -> None:
            response = case.call(base_url=fuzzed_url, timeout=10)
            seen.setdefault(case.operation.path, set()).add(response.status_code)
            case.validate_response(response, checks=CHECKS)
            if case.operation.path != "/v1/health":
                assert response.status_code != 200, response.text[:300]

        run()
    assert set(seen) >= {"/v1/records/fetch", "/v1/subject/fetch", "/v1/subject/list"}
    assert all(max(codes) < 500 for codes in seen.values()), seen
    with hrss.store.session() as s:
        assert s.query(ServeLogEntry).count() == logged_before  # no release was logged


def test_a_members_signed_request_without_its_own_access_record_is_never_served(
    grants: Any, hrss: Holdings, fuzzed_url: str, reader: RpcChain, civil_staff: Any, now: int
) -> None:
    """Requests a grantee's STAFF member really signed, under a live grant, whose access
    transaction is anything but their own access record (random hashes, the grant's own
    transaction, the access record of another request): refused, every one, and nothing
    logged as released; the genuine pair is then served (the property is not vacuous)."""
    terms = make_terms(hrss.citizen, CIVIL, HRSS, [PENSION], now)
    grant_tx = str(grants.grant(grant_tuple(terms), sender=hrss.citizen).txn_hash)
    client = DataNodeClient(reader, local(civil_staff))
    genuine = client.prepare(terms, PENSION, hrss.ids["pension"])
    genuine_tx = record(grants, civil_staff, genuine)
    with hrss.store.session() as s:
        logged_before = s.query(ServeLogEntry).count()

    @settings(
        max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(
        access_tx=st.one_of(
            st.binary(min_size=32, max_size=32).map(lambda b: "0x" + b.hex()),
            st.sampled_from([grant_tx, genuine_tx]),
        ),
        record_id=st.sampled_from([hrss.ids["pension"], hrss.ids["bank"], rid("none")]),
    )
    def run(access_tx: str, record_id: bytes) -> None:
        prepared = client.prepare(terms, PENSION, record_id)  # a fresh nonce: another digest
        r = httpx.post(fuzzed_url + "/v1/records/fetch", json=prepared.body(access_tx))
        assert r.status_code == 403, r.text
        assert r.json()["reason"] in {"access_record_missing", "access_record_mismatch"}

    run()
    with hrss.store.session() as s:
        assert s.query(ServeLogEntry).count() == logged_before
    assert client.fetch(fuzzed_url, genuine, genuine_tx).version == 2


# --- migrations ---------------------------------------------------------------------------------


def test_the_migrations_make_the_schema_the_code_declares(tmp_path: Path) -> None:
    """A new store migrated to the head has exactly the tables, columns and indexes of the
    models (a model change without its revision fails here)."""
    store = Store(sqlite_url(tmp_path / "new.db"))
    try:
        assert migrate.current(store.engine) == migrate.head()
        with store.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        store.dispose()


def test_a_store_made_by_the_code_before_migrations_is_upgraded_and_keeps_its_rows(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    old = create_engine(sqlite_url(path))
    Base.metadata.create_all(old)  # what Store() did before migrations: no alembic_version
    old.dispose()
    first = Store(sqlite_url(path), create=False)
    Publisher(first, HRSS).publish(PENSION, rid("kept"), {"monthly": 1})
    first.dispose()
    assert migrate.current(create_engine(sqlite_url(path))) is None
    store = Store(sqlite_url(path))
    try:
        assert migrate.current(store.engine) == migrate.head()
        with store.session() as s:
            assert [r.record_id for r in s.query(Record)] == [rid("kept")]
    finally:
        store.dispose()


def test_a_store_of_a_newer_govchain_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    Store(sqlite_url(path)).dispose()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE alembic_version SET version_num = 'abcd'")
    with pytest.raises(migrate.StoreTooNew, match="revision abcd, newer than this govchain"):
        Store(sqlite_url(path))
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchone() == ("abcd",)
