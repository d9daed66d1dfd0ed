"""W-4 (review s28): a citizen's DID history length no longer sets the watcher's cost.

``did.history`` reads an identity's logs in ranges (one ``eth_getLogs`` per
``HISTORY_WINDOW`` blocks, not one per changed block) and refuses a history longer than its
bound (an error for that identity alone); the watcher resolves the DID of a citizen without a
usable key again only once her identity changed (one ``changed`` call a round otherwise).
"""

# ruff: noqa: F811  (fixtures imported for pytest are parameters of the functions here)
from __future__ import annotations

from pathlib import Path
from typing import Any

import coincurve
import pytest

from govchain.errors import InvalidInput
from govchain.interop.did import did_of, history, resolve
from tests.cli.conftest import CityRun, city, city_run, devnet  # noqa: F401 (fixtures)
from tests.services.offers_world import ENC_KEY, YEAR, OffersWorld, build_offers_world
from tests.shared_city import fund

CHANGES = 150
NOTE = b"did/svc/Note".ljust(32, b"\0")


@pytest.fixture
def world(city_run: CityRun, devnet: object, tmp_path: Path) -> OffersWorld:
    return build_offers_world(city_run.platform, devnet, tmp_path)  # type: ignore[arg-type]


def test_a_long_did_history_is_read_in_ranges_and_not_again_each_round(
    world: OffersWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = world.citizen()
    world.elderly(alice.address)
    mallory = world.citizen(publish_key=False)
    world.elderly(mallory.address)
    fund(world.devnet, mallory.address)
    registry = world.connection.contract("CitizenRegistry")
    me = world.sender(mallory)
    for i in range(CHANGES):  # one block each (anvil mines every transaction)
        me.transact(registry.functions.setAttribute(mallory.address, NOTE, bytes([i]), YEAR))
    world.sync()
    w3 = world.connection.w3
    real = w3.eth.get_logs
    calls: list[Any] = []

    hers = "0x" + "00" * 12 + mallory.address[2:].lower()

    def counted(params: Any, *args: Any, **kwargs: Any) -> Any:
        topics = params.get("topics") or []
        if len(topics) > 1 and topics[1] == hers:
            calls.append(params)  # a read of Mallory's history
        return real(params, *args, **kwargs)

    monkeypatch.setattr(w3.eth, "get_logs", counted)
    watcher = world.watcher()
    first = watcher.watch()
    assert len(first.offered) == 1 and first.no_key == 1  # Alice offered; Mallory: no key
    assert len(calls) == 1, calls  # her 150 changes, in one range
    calls.clear()
    second = watcher.watch()
    assert second.offered == [] and second.no_key == 1  # Alice skipped (box); Mallory again
    assert calls == []  # her identity did not change: nothing walked
    # she publishes a key: her identity changed, so she is resolved again and offered
    public = coincurve.PrivateKey(mallory.key).public_key.format(compressed=True)
    me.transact(registry.functions.setAttribute(mallory.address, ENC_KEY, public, YEAR))
    third = watcher.watch()
    assert len(third.offered) == 1 and third.no_key == 0
    # the document is the full history's, read in ranges as narrow as one block
    since = world.connection.deployment.contracts["CitizenRegistry"].block
    narrow = history(registry, mallory.address, since=since, window=1)
    assert len(narrow) == CHANGES + 1
    assert narrow == history(registry, mallory.address, since=since)
    document = resolve(world.connection, did_of(world.connection.chain_id, mallory.address))
    assert len(document["didDocument"]["keyAgreement"]) == 1  # the key she published last


def test_a_history_past_the_bound_is_that_citizens_error_alone(
    world: OffersWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = world.citizen()
    world.elderly(alice.address)
    mallory = world.citizen(publish_key=False)
    world.elderly(mallory.address)
    fund(world.devnet, mallory.address)
    registry = world.connection.contract("CitizenRegistry")
    me = world.sender(mallory)
    for i in range(12):
        me.transact(registry.functions.setAttribute(mallory.address, NOTE, bytes([i]), YEAR))
    with pytest.raises(InvalidInput, match="more than 10 ERC-1056 changes"):
        history(registry, mallory.address, limit=10)
    assert len(history(registry, mallory.address, limit=12)) == 12
    world.sync()
    monkeypatch.setattr("govchain.interop.did.MAX_HISTORY", 10)
    watcher = world.watcher()
    for _round in range(2):  # the same line each round, without walking her history again
        report = watcher.watch()
        [line] = report.errors
        assert line.startswith(f"{mallory.address}: ") and "more than 10" in line
        assert report.no_key == 0
    assert len(world.box.of_state("offered")) == 1  # Alice, offered in the first round
