"""Where the node and the state folder are: light enough for every command's start-up.

* RPC URL: argument, else ``$GOVCHAIN_RPC``, else the local devnet ``http://127.0.0.1:8545``.
* State folder (keystores, manifests): argument, else ``$GOVCHAIN_HOME``, else ``.govchain/``
  in the current directory.
* ``$GOVCHAIN_CHAIN_ID``: the chain every client insists on, when set.
* The config file (:mod:`govchain.config`): the CLI loads it once per command and hands it to
  :func:`use_config`; its ``[cli]`` values come after the argument and the environment.

:mod:`govchain.network` re-exports these; this module imports neither web3 nor httpx.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from govchain.config import Config

ENV_RPC = "GOVCHAIN_RPC"
ENV_HOME = "GOVCHAIN_HOME"
ENV_CHAIN_ID = "GOVCHAIN_CHAIN_ID"
DEFAULT_RPC = "http://127.0.0.1:8545"
DEFAULT_HOME = ".govchain"

_active: Config | None = None


def use_config(config: Config | None) -> None:
    """Make ``config`` the one whose ``[cli]`` values fill what neither argument nor env gives."""
    global _active
    _active = config


def active_config() -> Config | None:
    return _active


def rpc_url(url: str | None = None) -> str:
    configured = _active.cli.rpc if _active is not None else None
    return url or os.environ.get(ENV_RPC) or configured or DEFAULT_RPC


def state_home(home: str | Path | None = None) -> Path:
    if home is not None:
        return Path(home)
    env = os.environ.get(ENV_HOME)
    return Path(env) if env else Path.cwd() / DEFAULT_HOME


def expected_chain_id(chain_id: int | None = None) -> int | None:
    """``chain_id`` if given, else ``$GOVCHAIN_CHAIN_ID`` if set."""
    if chain_id is not None:
        return chain_id
    env = os.environ.get(ENV_CHAIN_ID, "").strip()
    if env:
        return int(env)
    return _active.cli.chain_id if _active is not None else None


def ca_file() -> str | None:
    """The CA certificate clients verify data nodes' TLS against (``[cli] ca_file`` or
    ``$GOVCHAIN_CLI_CA_FILE``); None: the system's trust store."""
    env = os.environ.get("GOVCHAIN_CLI_CA_FILE")
    if env:
        return env
    return _active.cli.ca_file if _active is not None else None


def client_certificate() -> tuple[str, str] | None:
    """The certificate and key clients present to data nodes that require one (mutual TLS):
    ``[cli] tls_client_cert``/``tls_client_key`` or ``$GOVCHAIN_CLI_TLS_CLIENT_CERT``/``_KEY``."""
    cert = os.environ.get("GOVCHAIN_CLI_TLS_CLIENT_CERT") or (
        _active.cli.tls_client_cert if _active is not None else None
    )
    key = os.environ.get("GOVCHAIN_CLI_TLS_CLIENT_KEY") or (
        _active.cli.tls_client_key if _active is not None else None
    )
    return (cert, key or cert) if cert else None
