"""`govchain dept join` and `govchain council review`: a Tax Bureau joins from its TOML file,
the council admits it, and its first record is served to Civil Affairs — on a real devnet and a
real node process. Each refusal is one line and a non-zero exit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from govchain.toolchain.devnet import free_port
from govchain.toolchain.paths import PROJECT_ROOT
from tests.cli.conftest import CITY_PASSPHRASE, CityRun, assert_one_line_error, new_key


def join_file(folder: Path, admin: str, staff: str, port: int, code: str = "TAX") -> Path:
    path = folder / f"{code.lower()}.toml"
    path.write_text(
        f"""
[department]
code = "{code}"
name = "Tax Bureau"
region = 330100
endpoint = "http://127.0.0.1:{port}"
admin = "{admin}"

[node]
db = "{folder / "tax.db"}"
port = {port}

[[members]]
key = "{staff}"
roles = ["staff"]

[[catalog]]
code = "{code}.RETURN"
sharing = "conditional"
sensitive = true
update_cycle = "30d"
"""
    )
    return path


def join(city_run: CityRun, config: Path, *args: str) -> dict[str, Any]:
    data: dict[str, Any] = city_run.json("dept", "join", "--config", str(config), *args)
    return data


def spawn(city_run: CityRun, *args: str) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env.update(
        GOVCHAIN_HOME=str(city_run.home),
        GOVCHAIN_PASSPHRASE=CITY_PASSPHRASE,
        PYTHONPATH=str(PROJECT_ROOT),
    )
    argv = [sys.executable, "-m", "govchain.cli", "--rpc", str(city_run.rpc), *args]
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def wait_up(url: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    with httpx.Client(timeout=1) as client:  # one client (and TLS context) for every poll
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(proc.communicate())
            try:
                client.get(url + "/v1/health")
                return
            except httpx.HTTPError:
                time.sleep(0.2)
    raise AssertionError("the node did not come up")


def test_a_department_joins_from_its_file_and_serves_its_first_record(
    city_run: CityRun, tmp_path: Path
) -> None:
    admin, _ = new_key(city_run, "tax-admin")
    staff, staff_address = new_key(city_run, "tax-staff")
    alice, alice_address = new_key(city_run, "alice")
    port = free_port()
    config = join_file(tmp_path, admin, staff, port)

    proposed = join(city_run, config)
    assert proposed["status"] == "awaiting-admission"
    assert [s["state"] for s in proposed["steps"]] == ["sent", "waiting"]
    again = join(city_run, config)  # a re-run while the council decides sends nothing
    assert again["status"] == "awaiting-admission" and again["sent"] == 0

    review = city_run.json("council", "review")
    [pending] = review["pending"]
    assert pending["code"] == "TAX" and pending["proposal"] is None
    assert pending["metadata_hash"] == proposed["metadata_hash"]
    assert pending["application"]["members"] == [{"address": staff_address, "roles": ["staff"]}]
    assert pending["application"]["catalog"][0]["code"] == "TAX.RETURN"
    text = city_run("council", "review").stdout
    assert "matches its metadata hash" in text and "TAX.RETURN CONDITIONAL sensitive" in text

    first = city_run.json("--key", "bdb-admin", "council", "review", "--approve", "TAX")
    assert [s["state"] for s in first["approved"][0]["steps"]] == ["sent", "waiting"]
    assert first["pending"][0]["proposal"]["approvals"] == 1
    second = city_run.json("--key", "psb-admin", "council", "review", "--approve", "TAX")
    assert [s["step"] for s in second["approved"][0]["steps"]] == ["approve", "execute"]
    assert second["pending"] == []
    assert city_run.json("dept", "show", "TAX")["status"] == "Active"

    joined = join(city_run, config)
    assert joined["status"] == "joined"
    states = {s["step"]: s["state"] for s in joined["steps"]}
    assert states == {
        "propose": "done",
        "admission": "done",
        f"member {staff_address}": "sent",
        "catalog TAX.RETURN": "sent",
        "endpoint": "done",
    }
    assert join(city_run, config)["sent"] == 0  # a re-run is a no-op
    assert city_run.json("dept", "members", "TAX")[1] == {
        "account": staff_address, "roles": 1, "role_names": ["staff"]
    }  # fmt: skip

    records = tmp_path / "tax.jsonl"
    records.write_text(
        json.dumps(
            {"category": "TAX.RETURN", "record": "RET-2026-001", "subject": alice_address,
             "content": {"year": 2025, "income_cny": 48000}}
        ) + "\n"
    )  # fmt: skip
    published = city_run(
        "--key", staff, "node", "publish", "--dept", "TAX", "--db", str(tmp_path / "tax.db"),
        str(records),
    )  # fmt: skip
    assert published.exit_code == 0, published.stderr
    node = spawn(city_run, "dept", "join", "--config", str(config), "--serve")
    try:
        wait_up(f"http://127.0.0.1:{port}", node)
        consent = tmp_path / "consent.json"
        signed = city_run(
            "--key", alice, "grant", "sign", "--grantee", "CIVIL", "--owner", "TAX",
            "--category", "TAX.RETURN", "--purpose", "living subsidy case", "--until", "30d",
            "--out", str(consent),
        )  # fmt: skip
        assert signed.exit_code == 0, signed.stderr
        grant = city_run.json("--key", "civil-staff", "grant", "submit", str(consent))
        fetched = city_run.json(
            "--key", "civil-staff", "data", "fetch", "--grant", grant["grant_id"],
            "--record", "RET-2026-001",
        )  # fmt: skip
        assert fetched["content"] == {"year": 2025, "income_cny": 48000}
    finally:
        node.send_signal(signal.SIGTERM)
        node.communicate(timeout=30)
    trail_shows_purposes_as_text(city_run, alice, alice_address, grant["grant_id"])


def trail_shows_purposes_as_text(
    city_run: CityRun, alice: str, alice_address: str, grant_id: str
) -> None:
    """The consent's purpose text, kept off chain in the home's purpose book, is shown beside
    the access in every trail command; dates filter; CSV has one row per access."""
    trail = city_run.json("--key", alice, "citizen", "trail")
    [access] = trail["accesses"]
    assert access["purpose"] == "living subsidy case" and access["grant_id"] == grant_id
    assert access["grantee"] == "CIVIL" and access["category"] == "TAX.RETURN"
    assert "'living subsidy case'" in city_run("--key", alice, "citizen", "trail").stdout
    audit = city_run.json("--key", alice, "audit", "access", "--subject", alice_address)
    assert [e["purpose"] for e in audit["entries"]] == ["living subsidy case"]
    listed = city_run.json("access", "list", "--subject", alice_address)
    assert [a["purpose"] for a in listed] == ["living subsidy case"]

    day = access["time"][:10]
    csv = city_run("--key", alice, "citizen", "trail", "--csv", "--since", day, "--until", day)
    header, row = csv.stdout.strip().splitlines()
    assert header.startswith("time,member,grantee,owner,category,purpose")
    assert "living subsidy case" in row and grant_id in row
    later = city_run.json("--key", alice, "citizen", "trail", "--since", "2099-01-01")
    assert later["accesses"] == []
    audit_csv = city_run("--key", alice, "audit", "access", "--subject", alice_address, "--csv")
    assert len(audit_csv.stdout.strip().splitlines()) == 2
    listed_csv = city_run(
        "access", "list", "--subject", alice_address, "--until", "2000-01-01", "--csv"
    )
    assert len(listed_csv.stdout.strip().splitlines()) == 1  # the header only
    backwards = city_run("access", "list", "--since", "2026-02-01", "--until", "2026-01-01")
    assert_one_line_error(backwards, 2, "--since is after --until")

    # a home that never saw the text shows the hash: the chain never holds the text
    assert city_run.home is not None
    (city_run.home / "purposes.json").unlink()
    unknown = city_run.json("--key", alice, "citizen", "trail")["accesses"][0]
    assert unknown["purpose"] is None and unknown["purpose_hash"].startswith("0x")
    assert (
        "(text not known here)"
        in city_run("--key", alice, "audit", "access", "--subject", alice_address).stdout
    )


def test_refusals_are_one_line(city_run: CityRun, tmp_path: Path) -> None:
    admin, _ = new_key(city_run, "tax-admin")
    staff, _ = new_key(city_run, "tax-staff")
    config = join_file(tmp_path, admin, staff, free_port())

    missing = city_run("dept", "join", "--config", str(tmp_path / "none.toml"))
    assert_one_line_error(missing, 2, "join config")
    broken = tmp_path / "broken.toml"
    broken.write_text("[department\ncode = 1")
    assert_one_line_error(city_run("dept", "join", "--config", str(broken)), 2, "not valid TOML")
    bad_region = tmp_path / "region.toml"
    bad_region.write_text(config.read_text().replace("330100", "12"))
    assert_one_line_error(
        city_run("dept", "join", "--config", str(bad_region)), 2, "department.region"
    )
    foreign = tmp_path / "foreign.toml"
    foreign.write_text(config.read_text().replace('code = "TAX.RETURN"', 'code = "HRSS.X"'))
    assert_one_line_error(city_run("dept", "join", "--config", str(foreign)), 2, "namespace TAX")
    role = tmp_path / "role.toml"
    role.write_text(config.read_text().replace('["staff"]', '["boss"]'))
    assert_one_line_error(city_run("dept", "join", "--config", str(role)), 2, "boss")

    # signed by another key than the application's admin
    other = city_run("--key", staff, "dept", "join", "--config", str(config))
    assert_one_line_error(other, 1, "first ADMIN")
    # a department code in use by another department
    taken = tmp_path / "taken.toml"
    taken.write_text(config.read_text().replace('"TAX', '"HRSS'))
    assert_one_line_error(city_run("dept", "join", "--config", str(taken)), 1, "HRSS exists")

    assert join(city_run, config)["status"] == "awaiting-admission"
    changed = tmp_path / "changed.toml"
    changed.write_text(config.read_text().replace("Tax Bureau", "Taxation Bureau"))
    assert_one_line_error(
        city_run("dept", "join", "--config", str(changed)), 1, "another application"
    )
    waited = city_run("dept", "join", "--config", str(config), "--wait", "2s")
    assert_one_line_error(waited, 1, "not admitted within 2s")
    serve = city_run("dept", "join", "--config", str(config), "--serve")
    assert_one_line_error(serve, 1, "not admitted yet")

    # the council's side
    assert_one_line_error(
        city_run("--key", "civil-staff", "council", "review", "--approve", "TAX"),
        1,
        "not a council member",
    )
    assert_one_line_error(
        city_run("--key", "bdb-admin", "council", "review", "--approve", "NOPE"), 2, "NOPE"
    )
    assert_one_line_error(
        city_run("--key", "bdb-admin", "council", "review", "--approve", "HRSS"),
        1,
        "HRSS is Active",
    )
    first = city_run.json("--key", "bdb-admin", "council", "review", "--approve", "TAX")
    assert first["approved"][0]["steps"][0]["step"] == "propose admit"
    again = city_run.json("--key", "bdb-admin", "council", "review", "--approve", "TAX")
    assert again["approved"][0]["steps"][0]["state"] == "done"  # no second approval
    assert_one_line_error(
        city_run("council", "review", "--application", str(tmp_path / "nope.json")), 2
    )

    # admitted, a member key that belongs to another department is refused by name
    city_run.json("--key", "psb-admin", "council", "review", "--approve", "TAX")
    poached = tmp_path / "poached.toml"
    poached.write_text(config.read_text().replace(f'key = "{staff}"', 'key = "hrss-staff"'))
    assert_one_line_error(
        city_run("dept", "join", "--config", str(poached)), 1, "already belongs to HRSS"
    )


def test_a_rerun_follows_the_file_removing_members_it_no_longer_lists(
    city_run: CityRun, tmp_path: Path
) -> None:
    """The join file is the truth for the members: a re-run sets the roles it changed and
    removes the keys it dropped (never the ADMIN who signs), each read back first, so the run
    after that sends nothing."""
    admin, admin_address = new_key(city_run, "tax-admin")
    staff, staff_address = new_key(city_run, "tax-staff")
    clerk, clerk_address = new_key(city_run, "tax-clerk")
    config = join_file(tmp_path, admin, staff, free_port())
    clerk_entry = f'[[members]]\nkey = "{clerk}"\nroles = ["staff"]\n\n'
    config.write_text(config.read_text().replace("[[catalog]]", clerk_entry + "[[catalog]]"))
    join(city_run, config)
    for member in ("bdb-admin", "psb-admin"):
        city_run.json("--key", member, "council", "review", "--approve", "TAX")
    assert join(city_run, config)["status"] == "joined"

    def members() -> dict[str, list[str]]:
        listed = city_run.json("dept", "members", "TAX")
        return {m["account"]: m["role_names"] for m in listed}

    assert members() == {
        admin_address: ["admin"],
        staff_address: ["staff"],
        clerk_address: ["staff"],
    }
    # the department drops the clerk and makes its staff an approver too
    changed = config.read_text().replace(clerk_entry, "")
    config.write_text(changed.replace('roles = ["staff"]', 'roles = ["staff", "approver"]'))
    followed = join(city_run, config)
    steps = {s["step"]: s for s in followed["steps"]}
    assert (followed["status"], followed["sent"]) == ("joined", 2)
    assert steps[f"member {staff_address}"]["state"] == "sent"
    assert steps[f"member {staff_address}"]["detail"] == "roles set to staff,approver"
    assert steps[f"member {clerk_address}"]["state"] == "sent"
    assert steps[f"member {clerk_address}"]["detail"].startswith("removed (staff)")
    assert members() == {admin_address: ["admin"], staff_address: ["staff", "approver"]}
    assert join(city_run, config)["sent"] == 0  # read back first: the re-run is a no-op
