"""`govchain citizen data list|fetch`: a citizen's own records across the departments' nodes."""

# ruff: noqa: F401, F811  (the module fixture `world` is imported)
from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import CityRun, Run, assert_one_line_error, new_key
from tests.cli.datanode import World, serving, world


def test_list_shows_the_records_each_department_holds(
    city_run: CityRun, world: World, tmp_path: Path
) -> None:
    with serving(world, tmp_path) as (url, _):
        data = city_run.json("--key", "alice", "citizen", "data", "list")
        text = city_run("--key", "alice", "citizen", "data", "list")
    assert data["identity"] == world.alice.address
    (hrss,) = data["departments"]  # the only department with a registered node
    assert hrss["department"] == "HRSS" and hrss["endpoint"] == url and hrss["error"] is None
    held = {(r["category"], r["record"], r["version"]) for r in hrss["records"]}
    assert held == {("HRSS.PENSION", "pension-alice", 2), ("HRSS.BANK_ACCOUNT", "bank-alice", 1)}
    assert all(r["anchor"] == "single" and r["anchored_block"] > 0 for r in hrss["records"])
    assert text.exit_code == 0 and "pension-alice" in text.stdout and "bank-alice" in text.stdout


def test_list_reports_a_node_that_is_down(city_run: CityRun, world: World, tmp_path: Path) -> None:
    with serving(world, tmp_path):
        pass  # the endpoint stays registered, the node is gone
    data = city_run.json("--key", "alice", "citizen", "data", "list")
    (hrss,) = data["departments"]
    assert hrss["records"] == [] and "did not answer" in hrss["error"]


def test_fetch_my_own_record(city_run: CityRun, world: World, tmp_path: Path) -> None:
    out = tmp_path / "bank.json"
    with serving(world, tmp_path):
        result = city_run(
            "--key", "alice", "citizen", "data", "fetch", "--dept", "HRSS", "--record", "pension-alice"
        )  # fmt: skip
        data = city_run.json(
            "--key", "alice", "citizen", "data", "fetch", "--dept", "HRSS",
            "--category", "HRSS.BANK_ACCOUNT", "--record", "bank-alice", "--out", str(out),
        )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"monthly": 3260}
    assert "verified against its single anchor" in result.stderr
    assert out.read_bytes() == b'{"iban":"CN00 1234"}'
    assert data["identity"] == world.alice.address and data["subject"] == world.alice.address
    assert data["content"] == {"iban": "CN00 1234"} and data["verified"] is True


def test_refusals(city_run: CityRun, world: World, tmp_path: Path) -> None:
    alice = world.alice.address
    with serving(world, tmp_path):
        assert_one_line_error(
            city_run(
                "--key",
                "alice",
                "citizen",
                "data",
                "fetch",
                "--dept",
                "HRSS",
                "--record",
                "pension-bob-1",
            ),
            2,
            "record pension-bob-1 not found",
        )
        assert_one_line_error(
            city_run(
                "--key",
                "bob",
                "citizen",
                "data",
                "fetch",
                "--dept",
                "HRSS",
                "--category",
                "HRSS.PENSION",
                "--record",
                "pension-alice",
                "--identity",
                alice,
            ),
            1,
            f"does not control identity {alice}",
        )
    assert_one_line_error(
        city_run("--key", "alice", "citizen", "data", "fetch", "--dept", "CIVIL", "--record", "x"),
        1,
        "CIVIL has registered no data-node endpoint",
    )


def test_after_a_key_rotation_the_old_key_is_told_it_no_longer_controls_the_identity(
    city_run: CityRun, world: World, tmp_path: Path
) -> None:
    alice = world.alice.address
    new_name, new_address = new_key(city_run, "alice-new")
    rotated = city_run("--key", "alice", "citizen", "rotate-key", new_name)
    assert rotated.exit_code == 0, rotated.stderr
    with serving(world, tmp_path):
        old = city_run("--key", "alice", "citizen", "data", "list")
        assert_one_line_error(
            old,
            1,
            f"key {alice} no longer controls identity {alice}",
            f"owner is now {new_address}",
        )
        data = city_run.json("--key", new_name, "citizen", "data", "list", "--identity", alice)
    (hrss,) = data["departments"]
    assert data["identity"] == alice and hrss["error"] is None and len(hrss["records"]) == 2


def test_bad_input_is_exit_2(city_run: CityRun, world: World) -> None:
    base = ("--key", "alice", "citizen", "data", "fetch")
    assert_one_line_error(city_run(*base, "--dept", "NOPE", "--record", "x"), 2, "department NOPE")
    assert_one_line_error(city_run(*base, "--dept", "HRSS"), 2, "--record")
    assert_one_line_error(
        city_run("--key", "alice", "citizen", "data", "list", "--identity", "0xzz"), 2, "--identity"
    )
    assert_one_line_error(city_run("citizen", "data", "list"), 2, "--key")


def test_devnet_down_is_exit_1(offline: Run) -> None:
    assert_one_line_error(
        offline("--key", "alice", "citizen", "data", "list"), 1, "network unavailable"
    )
