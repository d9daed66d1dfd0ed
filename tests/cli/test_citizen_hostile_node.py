"""One department's node answering in the wrong shape is that department's error line, not the
end of a citizen's data space or offers (review s27 L-4; regression tests from review5's probe
tests/probes/test_review_s27_hostile_node.py).

A stand-in node answers every request with one malformed answer: records of the wrong shape,
a refusal whose body is a list, JSON nested past the parser's recursion limit, text that is not
JSON. Each becomes a ``GovchainError`` at the client (the callers' per-department net), and
``govchain citizen data list`` shows it as that department's line beside the others' records.
"""

# ruff: noqa: F401, F811  (the module fixture `world` is imported)
from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from govchain.errors import GovchainError
from govchain.node.client import CitizenClient, NodeRefused
from govchain.services.inbox import OfferInbox
from govchain.sharing.acceptance import RecordTampered
from tests.cli.conftest import CityRun
from tests.cli.datanode import World, serving, world
from tests.httpstub import StubHandler
from tests.httpstub import serving as stub_serving

HRSS = b"HRSS".ljust(32, b"\0")
ANSWERS = {
    # 200, an object, items of the wrong shape
    "shape": (200, b'{"records": [{"category": 5}], "offers": [{"offerId": 5}]}'),
    # 200, the list is not a list of objects
    "items": (200, b'{"records": [5], "offers": "x"}'),
    # a refusal whose body is a JSON list, not an object
    "list": (400, b"[1]"),
    # 200, nested past the parser's recursion limit
    "nested": (200, b"[" * 4000 + b"]" * 4000),
    # 200, not JSON at all
    "text": (200, b"<html>hello</html>"),
}


class _Hostile(StubHandler):
    def answer(self, path: str, body: bytes) -> tuple[int, bytes]:
        return ANSWERS[path.strip("/").split("/")[0]]


@pytest.fixture
def hostile_url() -> Iterator[str]:
    with stub_serving(_Hostile) as url:
        yield url


@pytest.fixture
def production_recursion_limit() -> Iterator[None]:
    """Python's default (1000), which a citizen's ``govchain`` process has."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


@pytest.mark.parametrize(
    ("answer", "raised"),
    [
        ("shape", RecordTampered),
        ("items", RecordTampered),
        ("list", NodeRefused),
        ("nested", RecordTampered),
        ("text", RecordTampered),
    ],
)
def test_a_malformed_answer_is_that_nodes_error(
    world: World, hostile_url: str, production_recursion_limit: None, answer: str, raised: type
) -> None:
    alice = world.alice
    for client, call in (
        (CitizenClient(world.reader(), alice), "list_records"),
        (OfferInbox(world.reader(), alice), "list_offers"),
    ):
        with pytest.raises(GovchainError) as caught:
            getattr(client, call)(f"{hostile_url}/{answer}", HRSS)
        assert isinstance(caught.value, raised), (call, caught.value)
        assert str(caught.value) and "\n" not in str(caught.value)


def test_citizen_data_list_shows_the_others_beside_a_hostile_node(
    city_run: CityRun, world: World, tmp_path: Path, hostile_url: str
) -> None:
    registry = world.contract("DepartmentRegistry")
    world.sender(world.city.departments["CIVIL"].admin).transact(
        registry.functions.setEndpoint(f"{hostile_url}/shape")
    )
    with serving(world, tmp_path) as (url, _):
        data = city_run.json("--key", "alice", "citizen", "data", "list")
        text = city_run("--key", "alice", "citizen", "data", "list")
    rows = {row["department"]: row for row in data["departments"]}
    assert (
        rows["HRSS"]["endpoint"] == url
        and rows["HRSS"]["error"] is None
        and len(rows["HRSS"]["records"]) == 2
    )
    assert rows["CIVIL"]["records"] == [] and "malformed" in rows["CIVIL"]["error"]
    assert text.exit_code == 0 and "pension-alice" in text.stdout
    assert "CIVIL" in text.stdout and "unavailable: " in text.stdout
