"""The test plugin's ``session_fixtures_first``: a file's first test sets up every session fixture
that any test of the file uses, before ape snapshots the module (docs/testing.md, "Session
deployments and ape's snapshots"); fixtures of other scopes are left to the tests that ask."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="module")
def only_for_the_last_test() -> str:
    return "module"


def test_the_first_test_has_the_session_fixtures_a_later_test_asks_for(
    request: pytest.FixtureRequest, chain: Any
) -> None:
    names = request.node.fixturenames
    # asked for only by the test below: set up here, before this module's snapshot
    assert "departments" in names and "departments" in request.node.funcargs
    registry = request.node.funcargs["departments"]
    assert chain.provider.get_code(registry.address)  # deployed, on the chain this test sees
    assert "only_for_the_last_test" not in names  # a module fixture is not moved


def test_a_later_test_uses_them(departments: Any, only_for_the_last_test: str) -> None:
    assert departments.address and only_for_the_last_test == "module"
