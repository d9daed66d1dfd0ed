"""The built wheel, installed without extras in a fresh virtualenv, runs a department's work.

What a department server gets is the wheel and a deployment manifest: no checkout, no
compiler, no ape. The test builds the wheel from a copy of the package files and installs it
with no extras into a new virtualenv, from a directory outside the repository deploys,
consents and records an access through the installed ``govchain`` command against an anvil.

The new virtualenv sees the project's installed third-party distributions (a ``.pth`` line
naming a folder of links to them, without govchain's own), so pip resolves the wheel's
declared requirements against them and downloads nothing (``--no-index``): a requirement the
lock does not satisfy fails the install. What a plain install brings is the closure of the
wheel's requirements without extras, read from the installed metadata the way pip resolved
it; none of the development tools may be in it.
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


def _site_packages(python: Path) -> Path:
    code = "import sysconfig; print(sysconfig.get_path('purelib'))"
    return Path(_run([str(python), "-c", code]).stdout.strip())


def _is_project_install(name: str) -> bool:
    """govchain's own editable install in the project's site-packages (and its .pth hooks)."""
    lowered = name.lower()
    return lowered.startswith(("govchain", "__editable__")) or lowered.endswith(".pth")


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv holding the wheel; its run-time dependencies are the project's
    installed distributions, seen through a .pth line (see the module's docstring)."""
    deps = tmp_path_factory.mktemp("deps")
    for entry in _site_packages(Path(sys.executable)).iterdir():
        if not _is_project_install(entry.name):
            (deps / entry.name).symlink_to(entry)
    target = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=False).create(target)
    (_site_packages(target / "bin" / "python") / "dependencies.pth").write_text(f"{deps}\n")
    _run([*PIP, "--python", str(target / "bin" / "python"), "install", "--quiet", "--no-index", str(wheel)])  # fmt: skip
    return target


@pytest.fixture(scope="module")
def devnet() -> Iterator[Devnet]:
    with Devnet(DevnetConfig(port=free_port())) as running:
        yield running


#: Run by the installed interpreter: the distributions a plain install of govchain needs, the
#: closure of its requirements without extras (markers evaluated as pip does), each checked
#: against the installed version pip accepted.
CLOSURE = """
import json, sys
from importlib import metadata
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

seen, todo = set(), [("govchain", frozenset())]
while todo:
    name, extras = todo.pop()
    dist = metadata.distribution(name)
    if (canonicalize_name(dist.name), extras) in seen:
        continue
    seen.add((canonicalize_name(dist.name), extras))
    for line in dist.requires or []:
        req = Requirement(line)
        envs = [{"extra": extra} for extra in sorted(extras)] or [{"extra": ""}]
        if req.marker is not None and not any(req.marker.evaluate(env) for env in envs):
            continue
        version = metadata.version(req.name)
        assert req.specifier.contains(version, prereleases=True), (name, line, version)
        todo.append((req.name, frozenset(canonicalize_name(e) for e in req.extras)))
print(json.dumps(sorted({name for name, _ in seen})))
"""


def installed_packages(target: Path) -> set[str]:
    """What a plain install of the wheel brings: govchain and its requirements' closure."""
    closure = _run([str(target / "bin" / "python"), "-c", CLOSURE], cwd=target)
    return set(json.loads(closure.stdout))


def test_a_plain_install_brings_no_development_tools(installed: Path) -> None:
    own = _site_packages(installed / "bin" / "python")
    listed = _run([*PIP, "--python", str(installed / "bin" / "python"), "list", "--path", str(own), "--format=json"])  # fmt: skip
    assert [entry["name"] for entry in json.loads(listed.stdout)] == ["govchain"]
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
