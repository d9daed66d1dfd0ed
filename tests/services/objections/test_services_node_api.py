"""The services' node endpoints (offers, objection texts) are described by pydantic models in the
node's ``/openapi.json`` and answer through its one request path: fuzzed from that schema
(schemathesis, positive and negative bodies) they never answer 5xx nor release or accept
anything, and every request is one line of the access log and counted in the metrics."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from eth_account import Account
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from govchain.node.chain import ChainAddresses, RpcChain
from govchain.node.client import NodeRefused
from govchain.node.metrics import NodeMetrics
from govchain.node.objection_texts import ObjectionTextClient
from govchain.node.objections import ObjectionEnvelope
from govchain.node.server import DataNode, NodeConfig
from govchain.node.store import Store, sqlite_url
from govchain.services.offerbox import OfferBox
from tests.helpers import code
from tests.node.helpers import running_node

PSB = code("PSB")
PATHS = {"/v1/offers/list", "/v1/offers/accept", "/v1/objections/text", "/v1/objections/read"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(record.getMessage()))


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory,
    chain: Any,
    departments: Any,
    anchors: Any,
    citizen_ids: Any,
    objections: Any,
) -> Iterator[tuple[str, Store, _Lines, NodeMetrics]]:
    addresses = ChainAddresses(
        departments.address,
        objections.address,
        anchors.address,
        citizen_ids.address,
        objections=objections.address,
    )
    reader = RpcChain(str(chain.provider.http_uri), addresses, chain_id=chain.chain_id)
    store = Store(sqlite_url(Path(tmp_path_factory.mktemp("fuzz")) / "node.db"))
    node = DataNode(NodeConfig(PSB, max_body_bytes=16384), store, reader)
    lines = _Lines()
    logger = logging.getLogger("tests.services.access")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.addHandler(lines)
    metrics = NodeMetrics(store, reader)
    with running_node(node, access_log=logger, metrics=metrics) as url:
        yield url, store, lines, metrics
    logger.removeHandler(lines)
    store.dispose()


def test_the_schema_describes_the_services_endpoints(
    served: tuple[str, Store, _Lines, NodeMetrics],
) -> None:
    url = served[0]
    schema = httpx.get(url + "/openapi.json", timeout=10).json()
    assert set(schema["paths"]) >= PATHS
    text = schema["paths"]["/v1/objections/text"]["post"]
    assert text["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ObjectionTextBody"
    }
    components = schema["components"]["schemas"]
    assert {"sealedHash", "commitment"} <= set(components["ObjectionTextRequest"]["properties"])
    assert "acceptance" in components["OfferAcceptBody"]["required"]
    assert {"400", "403", "404", "409"} <= set(text["responses"])


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_fuzzing_the_services_endpoints_finds_no_5xx_and_releases_nothing(
    served: tuple[str, Store, _Lines, NodeMetrics], mode: GenerationMode
) -> None:
    url, store, lines, metrics = served
    schema = schemathesis.openapi.from_url(url + "/openapi.json")
    seen: dict[str, set[int]] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path not in PATHS:
            continue

        @settings(
            max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Any) -> None:
            response = case.call(base_url=url, timeout=10)
            seen.setdefault(case.operation.path, set()).add(response.status_code)
            case.validate_response(response, checks=CHECKS)
            assert response.status_code != 200, response.text[:300]

        run()
    assert set(seen) == PATHS
    assert all(max(codes) < 500 for codes in seen.values()), seen
    with store.session() as s:
        assert s.query(ObjectionEnvelope).count() == 0  # no text was taken
    assert OfferBox(store.engine).all() == []
    # every one of those requests is a line of the access log and counted in the metrics
    logged = {line["path"] for line in lines.lines if line["outcome"] == "refused"}
    assert logged >= PATHS
    text, _ = metrics.render()
    for path in PATHS:
        assert f'path="{path}"'.encode() in text


def test_the_access_log_names_who_signed_a_services_request(
    served: tuple[str, Store, _Lines, NodeMetrics],
    chain: Any,
    departments: Any,
    anchors: Any,
    citizen_ids: Any,
    objections: Any,
) -> None:
    """A signed request to an objection endpoint, refused after its signature was recovered
    (no such objection), is logged with its signer, as the data endpoints' requests are."""
    url, _store, lines, _metrics = served
    reader = RpcChain(
        str(chain.provider.http_uri),
        ChainAddresses(
            departments.address,
            objections.address,
            anchors.address,
            citizen_ids.address,
            objections=objections.address,
        ),
        chain_id=chain.chain_id,
    )
    stranger = Account.create()
    with pytest.raises(NodeRefused):
        ObjectionTextClient(reader, stranger).read(url, PSB, b"\x07" * 32, b"\x00" * 32)
    row = [x for x in lines.lines if x["path"] == "/v1/objections/read"][-1]
    assert row["outcome"] == "refused" and row["signer"] == stranger.address
