"""The built wheel, installed without extras in a fresh virtualenv, runs a department's work.

What a department server gets is the wheel and a deployment manifest: no checkout, no
compiler, no ape. The test builds the wheel from a copy of the package files, installs it with
no extras into a new virtualenv (dependencies from a wheelhouse kept in ``.wheelhouse/`` so
later runs need no network), checks that none of the development tools came with it, then,
from a directory outside the repository, deploys, consents and records an access through the
installed ``govchain`` command against an anvil.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from govchain.toolchain.devnet import Devnet, DevnetConfig, free_port, rpc

ROOT = Path(__file__).resolve().parents[2]
WHEELHOUSE = ROOT / ".wheelhouse"
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
#: Installed only with the `dev` / `postgres` extras, never by a plain install.
DEV_ONLY = {
    "eth-ape", "ape-solidity", "ape-foundry", "py-solc-x", "pytest", "hypothesis", "ruff",
    "mypy", "slither-analyzer", "psycopg", "psycopg-binary", "requests-mock",
}  # fmt: skip
PASSPHRASE = "wheel test"


def _run(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, capture_output=True, text=True, timeout=600, **kwargs)
    assert result.returncode == 0, (args, result.stdout[-2000:], result.stderr[-2000:])
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``govchain-*.whl`` built from a copy of what the sdist holds (nothing else of the tree)."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "govchain", source / "govchain", ignore=shutil.ignore_patterns("__pycache__")
    )
    out = tmp_path_factory.mktemp("dist")
    _run([*PIP, "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(source)])
    (built,) = out.glob("govchain-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv holding the wheel and its run-time dependencies only."""
    WHEELHOUSE.mkdir(exist_ok=True)
    # Fill the wheelhouse once (network or pip's cache); afterwards installs are offline.
    target = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=False).create(target)
    offline = [*PIP, "--python", str(target / "bin" / "python"), "install", "--quiet"]
    offline += ["--no-index", "--find-links", str(WHEELHOUSE), str(wheel)]
    first = subprocess.run([*offline, "--dry-run"], capture_output=True, text=True, timeout=600)
    if first.returncode != 0:
        _run([*PIP, "wheel", "--quiet", "--wheel-dir", str(WHEELHOUSE), str(wheel)])
    _run(offline)
    return target


@pytest.fixture(scope="module")
def devnet() -> Iterator[Devnet]:
    with Devnet(DevnetConfig(port=free_port())) as running:
        yield running


def installed_packages(target: Path) -> set[str]:
    listed = _run([*PIP, "--python", str(target / "bin" / "python"), "list", "--format=json"])
    return {entry["name"].lower() for entry in json.loads(listed.stdout)}


def test_a_plain_install_brings_no_development_tools(installed: Path) -> None:
    names = installed_packages(installed)
    assert "govchain" in names and "web3" in names and "httpx" in names
    assert names.isdisjoint(DEV_ONLY), names & DEV_ONLY
    assert len(names) < 70, len(names)


def test_the_installed_cli_deploys_consents_and_records_access_outside_the_checkout(
    installed: Path, devnet: Devnet, tmp_path: Path
) -> None:
    workdir = tmp_path / "department-server"
    workdir.mkdir()
    env = {
        "PATH": f"{installed / 'bin'}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "GOVCHAIN_HOME": str(workdir / "state"),
        "GOVCHAIN_RPC": devnet.url,
        "GOVCHAIN_PASSPHRASE": PASSPHRASE,
        "GOVCHAIN_KDF": "pbkdf2",
        "GOVCHAIN_KDF_ITERATIONS": "2",
    }

    def govchain(*args: str) -> Any:
        result = subprocess.run(
            [str(installed / "bin" / "govchain"), "--json", *args],
            capture_output=True, text=True, env=env, cwd=workdir, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, (args, result.stderr)
        assert "Traceback" not in result.stderr
        return json.loads(result.stdout) if result.stdout.strip() else None

    which = _run(
        [str(installed / "bin" / "python"), "-c", "import govchain.artifacts as a; print(a.__file__)"],
        env=env, cwd=workdir,
    )  # fmt: skip
    assert str(installed) in which.stdout and str(ROOT) not in which.stdout
    keys = {}
    for name in ("deployer", "hrss-admin", "civil-admin", "civil-staff", "citizen"):
        keys[name] = govchain("keys", "new", name)["address"]
        rpc(devnet.url, "anvil_setBalance", [keys[name], hex(10**21)])
    config = workdir / "council.json"
    departments = [
        {"code": "HRSS", "name": "Human Resources", "region": 330100, "admin": "hrss-admin"},
        {"code": "CIVIL", "name": "Civil Affairs", "region": 330100, "admin": "civil-admin"},
    ]
    council = {"members": [Account.create().address], "threshold": 1}
    config.write_text(json.dumps({"council": council, "departments": departments}))
    deployed = govchain("--key", "deployer", "deploy", "--config", str(config))
    assert "AccessGrants" in deployed["deployed"]
    govchain("--key", "hrss-admin", "catalog", "add", "HRSS.PENSION", "--sharing", "conditional")
    govchain("--key", "civil-admin", "dept", "add-member", "civil-staff", "--role", "staff")
    govchain("--key", "civil-staff", "dept", "accept", "CIVIL")
    grant = govchain(
        "--key", "citizen", "grant", "give", "--grantee", "CIVIL", "--owner", "HRSS",
        "--category", "HRSS.PENSION", "--purpose", "pension check", "--until", "30d",
    )["grant_id"]  # fmt: skip
    recorded = govchain(
        "--key", "civil-staff", "access", "record", grant, "--category", "HRSS.PENSION"
    )
    assert recorded["grant_id"] == grant
    trail = govchain("access", "list", "--subject", keys["citizen"])
    assert [(r["grantee"], r["category"]) for r in trail] == [("CIVIL", "HRSS.PENSION")]
    assert os.path.commonpath([workdir, ROOT]) != str(ROOT)
