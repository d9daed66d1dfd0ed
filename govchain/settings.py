"""Where the node and the state folder are: light enough for every command's start-up.

* RPC URL: argument, else ``$GOVCHAIN_RPC``, else the local devnet ``http://127.0.0.1:8545``.
* State folder (keystores, manifests): argument, else ``$GOVCHAIN_HOME``, else ``.govchain/``
  in the current directory.
* ``$GOVCHAIN_CHAIN_ID``: the chain every client insists on, when set.

:mod:`govchain.network` re-exports these; this module imports neither web3 nor httpx.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_RPC = "GOVCHAIN_RPC"
ENV_HOME = "GOVCHAIN_HOME"
ENV_CHAIN_ID = "GOVCHAIN_CHAIN_ID"
DEFAULT_RPC = "http://127.0.0.1:8545"
DEFAULT_HOME = ".govchain"


def rpc_url(url: str | None = None) -> str:
    return url or os.environ.get(ENV_RPC) or DEFAULT_RPC


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
    return int(env) if env else None
