"""`govchain deploy` and govchain.deploy: order, wiring, manifest, resuming, refusing bad config."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_typing import ChecksumAddress

from govchain.deploy import CONTRACTS, DeployConfig, Web3Backend, department_code, deploy_all
from govchain.network import Connection, read_deployment
from govchain.toolchain.devnet import Devnet
from tests.cli.conftest import PASSPHRASE, Run, assert_one_line_error, fund

ADMIN = Account.create()
MEMBERS = [Account.create().address for _ in range(3)]


def config_data(**council: Any) -> dict[str, Any]:
    return {
        "council": {"members": MEMBERS, "threshold": 2, **council},
        "departments": [
            {"code": "BDB", "name": "Big Data Bureau", "region": 440300, "admin": ADMIN.address},
            {
                "code": "HRSS",
                "name": "Human Resources and Social Security",
                "region": 440300,
                "admin": Account.create().address,
                "endpoint": "http://127.0.0.1:9001",
            },
        ],
    }


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "council.json"
    path.write_text(json.dumps(config_data()))
    return path


@pytest.fixture
def deployer_address(run: Run, devnet: Devnet, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("GOVCHAIN_PASSPHRASE", PASSPHRASE)
    address = str(run.json("keys", "new", "deployer")["address"])
    fund(devnet, address)
    return address


def test_deploy_wires_every_contract_and_writes_the_manifest(
    run: Run, deployer_address: str, config_file: Path, env: dict[str, str], devnet: Devnet
) -> None:
    data = run.json("--key", "deployer", "deploy", "--config", str(config_file))
    assert data["deployed"] == list(CONTRACTS)
    assert data["reused"] == []
    assert len(data["wired"]) == 3
    connection = Connection.open(devnet.url, env["GOVCHAIN_HOME"])
    manifest = read_deployment(connection.chain_id, env["GOVCHAIN_HOME"])
    assert sorted(manifest.contracts) == sorted(CONTRACTS)
    assert manifest.deploy_block == data["deploy_block"] > 0
    council = connection.contract("Council")
    assert council.functions.members().call() == MEMBERS
    assert council.functions.threshold().call() == 2
    registry = connection.contract("DepartmentRegistry")
    assert registry.functions.council().call() == manifest.address("Council")
    # the council reads its seats from the registry it governs (L-2)
    assert council.functions.registry().call() == manifest.address("DepartmentRegistry")
    # a member key that is no department's ADMIN holds no voting seat
    assert not council.functions.hasSeat(MEMBERS[0]).call()
    assert registry.functions.departmentCount().call() == 2
    hrss = registry.functions.department(department_code("HRSS")).call()
    assert "http://127.0.0.1:9001" in hrss
    assert registry.functions.isActiveMember(ADMIN.address, department_code("BDB"), 4).call()
    attestations = connection.contract("AttestationRegistry")
    assert attestations.functions.approvalModule().call() == manifest.address("CaseApprovals")
    catalog = connection.contract("AnchorRegistry")
    assert catalog.functions.accessGrants().call() == manifest.address("AccessGrants")


def test_deploying_again_reuses_everything_and_sends_nothing(
    run: Run, deployer_address: str, config_file: Path, devnet: Devnet
) -> None:
    first = run.json("--key", "deployer", "deploy", "--config", str(config_file))
    connection = Connection.open(devnet.url)
    nonce = connection.w3.eth.get_transaction_count(deployer_address)
    second = run.json("--key", "deployer", "deploy", "--config", str(config_file))
    assert second["reused"] == list(CONTRACTS)
    assert second["deployed"] == [] and second["wired"] == []
    assert second["contracts"] == first["contracts"]
    assert connection.w3.eth.get_transaction_count(deployer_address) == nonce
    fresh = run.json("--key", "deployer", "deploy", "--config", str(config_file), "--fresh")
    assert fresh["deployed"] == list(CONTRACTS)
    assert fresh["contracts"]["Council"]["address"] != first["contracts"]["Council"]["address"]


class Crash(Exception):
    pass


class CrashingBackend(Web3Backend):
    """Loses the node after ``allowed`` deployments, as a crash mid-deployment would."""

    def __init__(self, connection: Connection, account: Any, allowed: int) -> None:
        super().__init__(connection, account)
        self.allowed = allowed

    def deploy(self, name: str, *args: Any) -> tuple[ChecksumAddress, int, str]:
        if self.allowed == 0:
            raise Crash(name)
        self.allowed -= 1
        return super().deploy(name, *args)


def test_an_interrupted_deployment_resumes_without_deploying_twice(
    env: dict[str, str], devnet: Devnet
) -> None:
    account = Account.create()
    fund(devnet, account.address)
    connection = Connection.open(devnet.url, env["GOVCHAIN_HOME"])
    config = DeployConfig.from_dict(config_data())
    with pytest.raises(Crash, match="AttestationRegistry"):
        deploy_all(
            CrashingBackend(connection, account, 3),
            connection.chain_id,
            config,
            home=env["GOVCHAIN_HOME"],
        )
    partial = read_deployment(connection.chain_id, env["GOVCHAIN_HOME"])
    assert sorted(partial.contracts) == sorted(CONTRACTS[:3])
    report = deploy_all(
        Web3Backend(connection, account), connection.chain_id, config, home=env["GOVCHAIN_HOME"]
    )
    assert report.reused == list(CONTRACTS[:3])
    assert report.deployed == list(CONTRACTS[3:])
    # 7 deployments and three wiring calls in all: nothing was sent twice
    assert connection.w3.eth.get_transaction_count(account.address) == len(CONTRACTS) + 3
    assert report.deployment.contracts["Council"] == partial.contracts["Council"]


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"council": {"members": MEMBERS, "threshold": 4}}, "council threshold"),
        ({"council": {"members": [], "threshold": 1}}, "council members"),
        ({"council": {"members": [MEMBERS[0], MEMBERS[0]], "threshold": 1}}, "listed twice"),
        (
            {"departments": [{"code": "BDB", "name": "x", "region": 44, "admin": MEMBERS[0]}]},
            "GB/T 2260",
        ),
        (
            {
                "departments": [
                    {"code": "X" * 33, "name": "x", "region": 440300, "admin": MEMBERS[0]}
                ]
            },
            "department code",
        ),
        (
            {"departments": [{"code": "BDB", "name": "x", "region": 440300, "admin": "0x12"}]},
            "address",
        ),
    ],
)
def test_a_bad_config_is_refused_in_one_line_before_anything_is_sent(
    run: Run, deployer_address: str, tmp_path: Path, change: dict[str, Any], fragment: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**config_data(), **change}))
    result = run("--key", "deployer", "deploy", "--config", str(path))
    assert_one_line_error(result, 2, fragment)


def test_a_missing_or_malformed_config_file_is_bad_input(
    run: Run, deployer_address: str, tmp_path: Path
) -> None:
    assert_one_line_error(
        run("--key", "deployer", "deploy", "--config", str(tmp_path / "no.json")), 2, "no.json"
    )
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert_one_line_error(
        run("--key", "deployer", "deploy", "--config", str(broken)), 2, "not JSON"
    )


def test_config_may_name_keystores_instead_of_addresses(
    run: Run, deployer_address: str, tmp_path: Path, devnet: Devnet, env: dict[str, str]
) -> None:
    data = config_data()
    data["council"]["members"] = ["deployer", MEMBERS[1]]
    data["departments"][0]["admin"] = "deployer"
    path = tmp_path / "named.json"
    path.write_text(json.dumps(data))
    run.json("--key", "deployer", "deploy", "--config", str(path))
    connection = Connection.open(devnet.url, env["GOVCHAIN_HOME"])
    assert connection.contract("Council").functions.members().call() == [
        deployer_address,
        MEMBERS[1],
    ]
    data["departments"][0]["admin"] = "nobody"
    path.write_text(json.dumps(data))
    result = run("--key", "deployer", "deploy", "--config", str(path), "--fresh")
    assert_one_line_error(result, 2, "nobody")
