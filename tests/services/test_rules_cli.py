"""`govchain rule`: approvers sign, anyone relays, list/show read, decide applies a rule to a case."""

# ruff: noqa: F811  (fixtures imported for pytest are parameters of the functions here)
from __future__ import annotations

import json
from pathlib import Path

from eth_account import Account

from govchain.approval import CaseStatus, CaseTerms
from govchain.approval.cases import Cases
from govchain.services.rules import name_code, rule_id, rule_step
from govchain.tx import Sender
from tests.cli.conftest import (  # noqa: F401 (fixtures)
    CityRun,
    assert_one_line_error,
    city,
    city_run,
    devnet,
)

CIVIL = b"CIVIL".ljust(32, b"\0")


def _schema(city_run: CityRun, fields: str, roles: str) -> str:
    data = city_run.json(
        "--key", "bdb-admin", "attest", "schema", "register", "--fields", fields, "--roles", roles
    )
    return str(data["uid"])


def _requirements(tmp_path: Path, age: str, residence: str) -> Path:
    path = tmp_path / "elderly.json"
    path.write_text(
        json.dumps(
            [
                {"schema": age, "departments": ["PSB"], "max_age": "365d"},
                {"schema": residence, "departments": ["PSB", "CIVIL"], "max_age": 31536000},
            ]
        )
    )
    return path


def test_approvers_register_a_rule_that_then_decides_a_case(
    city_run: CityRun, tmp_path: Path
) -> None:
    age = _schema(city_run, "AgedOver(uint8 years)", "staff")
    residence = _schema(city_run, "Residence(bytes32 commitment)", "staff")
    reqs = _requirements(tmp_path, age, residence)
    files = []
    for i in (1, 2):
        out = tmp_path / f"sig{i}.json"
        signed = city_run.json(
            "--key", f"civil-approver{i}", "rule", "sign", "register", "elderly",
            "--requirements", str(reqs), "-o", str(out),
        )  # fmt: skip
        assert signed["version"] == 1 and signed["department"] == "CIVIL"
        files.append(str(out))
    made = city_run.json("--key", "bdb-staff", "rule", "register", *files)
    assert made["version"] == 1 and made["in_force"] is True
    rid = "0x" + rule_id(CIVIL, name_code("elderly")).hex()
    assert made["rule_id"] == rid
    listed = city_run.json("rule", "list", "--dept", "CIVIL")
    assert [(r["name"], r["version"]) for r in listed] == [("elderly", 1)]
    shown = city_run.json("rule", "show", "elderly", "--dept", "CIVIL")
    assert [r["schema"] for r in shown["requirements"]] == [age, residence]
    assert (
        "rule CIVIL/elderly v1 (in force)"
        in city_run("rule", "show", "elderly", "--dept", "CIVIL").stdout
    )

    citizen = Account.create().address
    for key, schema in (("psb-staff", age), ("civil-staff", residence)):
        city_run.json("--key", key, "attest", "issue", citizen, "--schema", schema, "--data", "x")
    platform = city_run.platform
    staff = platform.departments["CIVIL"].staff
    cases = Cases(platform.connection, Sender(platform.connection.w3, staff))
    now = cases.now()
    terms = CaseTerms(
        documents_hash=b"\x01" * 32,
        accepting_department=CIVIL,
        route=(rule_step(bytes.fromhex(rid[2:]), now + 86400),),
        applicant_citizen=citizen,
    )
    cases.sender.transact(cases.contract.functions.openCase(terms.as_tuple()))  # type: ignore[union-attr]
    case = "0x" + terms.case_id().hex()
    decided = city_run.json("--key", "hrss-staff", "rule", "decide", case)
    assert decided["status"] == "approved"
    assert cases.state(terms.case_id(), history=False).status == CaseStatus.APPROVED
    shown = city_run.json("case", "show", case)
    [by_rule] = [e for e in shown["history"] if e["event"] == "StepDecidedByRule"]
    assert by_rule["ruleId"] == rid and by_rule["version"] == 1
    text = city_run("case", "show", case).stdout
    assert f"RULE {rid}" in text and f"approved by rule {rid} v1" in text

    allowance = _schema(city_run, "ElderlyAllowance(bytes32 caseId)", "approver")
    second = Account.create().address
    for key, schema in (("psb-staff", age), ("psb-staff", residence)):
        city_run.json("--key", key, "attest", "issue", second, "--schema", schema, "--data", "y")
    apply = ("--key", "civil-staff", "rule", "apply", "elderly", "--citizen", second)
    # the approvers signed the rule's requirements, not a benefit: no allowance yet (H-1)
    refused = city_run(*apply, "--schema", allowance)
    assert_one_line_error(refused, 1, "no service of it in force grants")
    bound = []
    for i in (1, 2):
        out = tmp_path / f"svc{i}.json"
        city_run.json(
            "--key", f"civil-approver{i}", "offer", "sign", "allowance", "--rule", "elderly",
            "--benefit", allowance, "-o", str(out),
        )  # fmt: skip
        bound.append(str(out))
    city_run.json("--key", "bdb-staff", "offer", "register", *bound)
    applied = city_run.json(*apply, "--schema", allowance)
    assert applied["status"] == "approved"
    assert city_run.json("attest", "verify", applied["attestation"])["valid"] is True
    nobody = Account.create().address
    result = city_run("--key", "civil-staff", "rule", "apply", "elderly", "--citizen", nobody)
    assert_one_line_error(result, 2, "no valid one about")

    retire = []
    for i in (1, 3):
        out = tmp_path / f"retire{i}.json"
        city_run.json(
            "--key", f"civil-approver{i}", "rule", "sign", "retire", "elderly", "-o", str(out)
        )
        retire.append(str(out))
    gone = city_run.json("--key", "bdb-staff", "rule", "retire", *retire)
    assert gone["in_force"] is False and gone["version"] == 1


def test_rule_errors_are_one_line(city_run: CityRun, tmp_path: Path) -> None:
    age = _schema(city_run, "AgedOver(uint8 years)", "staff")
    reqs = _requirements(tmp_path, age, age)
    result = city_run(
        "--key", "civil-staff", "rule", "sign", "register", "elderly", "--requirements", str(reqs)
    )
    assert_one_line_error(result, 2, "not an active APPROVER of CIVIL")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"schema": age, "departments": [], "max_age": "1d"}]))
    result = city_run(
        "--key", "civil-approver1", "rule", "sign", "register", "x", "--requirements", str(bad)
    )
    assert_one_line_error(result, 2, "name at least one department")
    result = city_run("rule", "show", "nothing", "--dept", "CIVIL")
    assert_one_line_error(result, 2, "never registered")
    one = tmp_path / "one.json"
    city_run.json(
        "--key", "civil-approver1", "rule", "sign", "register", "elderly", "--requirements",
        str(reqs), "-o", str(one),
    )  # fmt: skip
    result = city_run("--key", "bdb-staff", "rule", "register", str(one))
    assert_one_line_error(result, 1, "needs 2 approvers' signatures, got 1")
    # a file of the older format, whose message did not name its signer: one line, sign again
    old = json.loads(one.read_text())
    assert old["format"] == "govchain.rules.change/2"
    one.write_text(json.dumps({**old, "format": "govchain.rules.change/1"}))
    result = city_run("--key", "bdb-staff", "rule", "register", str(one))
    assert_one_line_error(
        result, 2, "before rule messages named their signer", "sign the change again"
    )
    one.write_text("{}")
    result = city_run("--key", "bdb-staff", "rule", "register", str(one))
    assert_one_line_error(result, 2, "not a govchain.rules.change/2 file")
