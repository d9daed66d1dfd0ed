"""The config file: sections, defaults, environment on top, one line per mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from govchain import settings
from govchain.config import ConfigError, load


def test_the_file_then_the_environment_then_defaults(tmp_path: Path) -> None:
    cert = tmp_path / "ca.pem"
    cert.write_text("not read here")
    file = tmp_path / "config.toml"
    file.write_text(
        '[cli]\nrpc = "http://10.0.0.5:8545"\nchain_id = 7\n'
        f'ca_file = "{cert}"\n'
        '[node]\ndepartment = "HRSS"\ndb = "hrss.db"\nport = 8701\n'
        "[indexer]\nconfirmations = 3\n"
        '[portal]\nstores = ["HRSS=hrss.db"]\n'
    )
    config = load(file, env={"GOVCHAIN_NODE_PORT": "8702", "GOVCHAIN_PORTAL_PORT": "8601"})
    assert config.source == file
    assert (config.cli.rpc, config.cli.chain_id, config.cli.ca_file) == (
        "http://10.0.0.5:8545", 7, str(cert),
    )  # fmt: skip
    assert (config.node.port, config.node.host, config.node.log_level) == (8702, "127.0.0.1", "warning")  # fmt: skip
    assert config.indexer.confirmations == 3 and config.portal.port == 8601
    defaults = config.command_defaults()
    assert defaults["node"]["serve"]["dept"] == "HRSS"
    assert defaults["node"]["serve"]["port"] == 8702
    assert defaults["index"]["sync"]["confirmations"] == 3
    assert defaults["portal"]["stores"] == ["HRSS=hrss.db"]
    # the older variables keep their meaning and win over the file
    assert load(file, env={"GOVCHAIN_RPC": "http://other:1"}).cli.rpc == "http://other:1"


def test_no_file_is_all_defaults_unless_one_was_named(tmp_path: Path) -> None:
    config = load(home=tmp_path, env={})
    assert config.source is None and config.node.port == 8700
    with pytest.raises(ConfigError, match="no such file"):
        load(tmp_path / "missing.toml", env={})


def test_each_mistake_is_one_line(tmp_path: Path) -> None:
    file = tmp_path / "config.toml"
    file.write_text(
        '[node]\nport = 0\nrequest_timeout = "soon"\n[cli]\nrpc = "10.0.0.5:8545"\n'
        'ca_file = "/nowhere.pem"\n[indexer]\nconfirmations = -1\n'
    )
    with pytest.raises(ConfigError) as error:
        load(file, env={})
    assert sorted(error.value.lines) == sorted(
        f"{file}: {line}"
        for line in (
            "[node] port: must be 1–65535",  # noqa: RUF001
            "[node] request_timeout: must be a number",
            "[cli] rpc: must start with http:// or https://",
            "[cli] ca_file: no such file: /nowhere.pem",
            "[indexer] confirmations: must be ≥ 0",
        )
    )


def test_the_cli_section_fills_what_neither_argument_nor_environment_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "config.toml"
    file.write_text('[cli]\nrpc = "http://10.0.0.5:8545"\nchain_id = 7\n')
    for name in ("GOVCHAIN_RPC", "GOVCHAIN_CHAIN_ID", "GOVCHAIN_CLI_CA_FILE"):
        monkeypatch.delenv(name, raising=False)
    settings.use_config(load(file, env={}))
    try:
        assert settings.rpc_url() == "http://10.0.0.5:8545"
        assert settings.rpc_url("http://given:1") == "http://given:1"
        assert settings.expected_chain_id() == 7
        monkeypatch.setenv("GOVCHAIN_RPC", "http://env:1")
        assert settings.rpc_url() == "http://env:1"
    finally:
        settings.use_config(None)
    monkeypatch.delenv("GOVCHAIN_RPC")
    assert settings.rpc_url() == settings.DEFAULT_RPC
