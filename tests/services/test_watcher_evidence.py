"""W-3 (review s28): the watcher chooses each requirement's evidence as the relayer does.

Per requirement it walks the indexed attestations newest first and passes over one with a key
behind it marked compromised (its attester, or a decider of the case that issued it:
``CaseDeciders.compromised``, what ``Rulebook.evidence`` and ``acceptOffer`` refuse), so a
marked key's newest attestation no longer hides a citizen who qualifies on an older one; a
citizen the index shows qualifying whom the chain's check refuses is counted in the round's
report (``unconfirmed``, one line each), never passed over silently.
"""

# ruff: noqa: F811  (fixtures imported for pytest are parameters of the functions here)
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.conftest import CityRun, city, city_run, devnet  # noqa: F401 (fixtures)
from tests.services.offers_world import OffersWorld, build_offers_world


@pytest.fixture
def world(city_run: CityRun, devnet: object, tmp_path: Path) -> OffersWorld:
    return build_offers_world(city_run.platform, devnet, tmp_path)  # type: ignore[arg-type]


def _council(city_run: CityRun, *action: str) -> None:
    """A council decision: BDB proposes, HRSS approves (2 of 3) and executes."""
    made = city_run.json("--key", "bdb-admin", "council", "propose", *action)
    for step in ("approve", "execute"):
        done = city_run("--key", "hrss-admin", "council", step, made["id"])
        assert done.exit_code == 0, done.stderr


def _later(world: OffersWorld) -> None:
    w3 = world.connection.w3
    w3.provider.make_request("evm_increaseTime", [60])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def _follow_rounds(city_run: CityRun, store: str, rounds: int) -> list[str]:
    """The text lines of ``offer watch --follow`` (civil-admin) once ``rounds`` rounds ran."""
    argv = [sys.executable, "-m", "govchain.cli", "--rpc", city_run.rpc or ""]
    argv += ["--key", "civil-admin", "offer", "watch", "--store", store, "--follow"]
    argv += ["--interval", "0.2"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        end = time.monotonic() + 120
        while sum(x.startswith("CIVIL: ") for x in lines) < rounds:
            assert time.monotonic() < end, lines
            line = proc.stdout.readline()
            assert line, (lines, proc.poll(), proc.stderr.read() if proc.stderr else "")
            lines.append(line.rstrip("\n"))
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    return lines


def test_a_marked_keys_newest_attestation_no_longer_hides_a_qualifying_citizen(
    world: OffersWorld, city_run: CityRun, tmp_path: Path
) -> None:
    alice, bob, carol = world.citizen(), world.citizen(), world.citizen()
    world.elderly(alice.address)  # age and residence by PSB: she qualifies
    world.elderly(bob.address)
    # Carol's residence is attested by the CIVIL staff key alone (the rule accepts PSB or CIVIL)
    world.attest("PSB", carol.address, "age", "born 1950")
    world.attest("CIVIL", carol.address, "residence", "Hangzhou, at the desk")
    _later(world)
    # the CIVIL staff key attests Alice's residence again, later; then it is marked compromised
    world.attest("CIVIL", alice.address, "residence", "Hangzhou, confirmed at the desk")
    _council(city_run, "mark-compromised", "civil-staff")
    world.sync()

    report = world.watcher().watch()
    offered = {o.citizen.lower() for o in world.box.of_state("offered")}
    # Alice is offered on her older PSB attestation, as the relayer would prove it
    assert offered == {alice.address.lower(), bob.address.lower()}
    assert len(report.offered) == 2 and report.errors == []
    # Carol has no residence attestation without a marked key: counted and named, not silent
    [line] = report.unconfirmed
    assert line.startswith(f"{carol.address}: requirement 1:") and "compromised" in line
    assert report.as_dict()["unconfirmed"] == [line]
    # the department's command says so in its one-line summary, and names her below it
    store = str(tmp_path / "cli-offers.db")
    shown = city_run("--key", "civil-admin", "offer", "watch", "--store", store)
    assert shown.exit_code == 0, shown.stderr
    summary, *named = shown.stdout.strip().splitlines()
    assert summary.endswith(", 1 not confirmed by the chain")
    assert named == [f"  not confirmed: {line}"]
    # --follow counts her every round but names her once (its output goes to a service's log)
    lines = _follow_rounds(city_run, str(tmp_path / "follow-offers.db"), rounds=3)
    assert [x for x in lines if x.startswith("CIVIL: ")][-1].endswith(
        ", 1 not confirmed by the chain"
    )
    assert lines.count(f"  not confirmed: {line}") == 1


def test_a_citizen_the_chain_refuses_is_counted_not_silent(world: OffersWorld) -> None:
    alice, bob = world.citizen(), world.citizen()
    world.elderly(alice.address)
    uids = world.elderly(bob.address)
    world.sync()
    # Bob's residence is revoked after the index was synced: the index still shows it valid
    registry = world.connection.contract("AttestationRegistry")
    world.staff("PSB").transact(registry.functions.revoke(uids["residence"]))

    report = world.watcher().watch()
    assert len(report.offered) == 1 and report.candidates == 2
    [line] = report.unconfirmed
    assert line.startswith(f"{bob.address}: RuleRegistry.check refused:")
    assert "0x" + uids["residence"].hex() in line.lower()
    # the next round, synced, no longer counts him as a candidate
    world.sync()
    again = world.watcher().watch()
    assert again.candidates == 1 and again.unconfirmed == [] and again.already == 1
