"""Where the project's tools live, and the environment that makes ape find them."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = PROJECT_ROOT / "node_modules"
NODE_BIN = NODE_MODULES / ".bin"
SOLCX_DIR = PROJECT_ROOT / ".solcx"


def configure_environment(env: dict[str, str] | None = None) -> dict[str, str]:
    """Point py-solc-x at the project's compiler folder and put npm's binaries on ``PATH``.

    npm's folder goes *after* the existing ``PATH`` so a native anvil (foundryup) wins.
    Values the caller already set are kept. Returns the environment it changed.
    """
    target = os.environ if env is None else env
    if SOLCX_DIR.is_dir():
        target.setdefault("SOLCX_BINARY_PATH", str(SOLCX_DIR))
    path = target.get("PATH", "")
    if NODE_BIN.is_dir() and str(NODE_BIN) not in path.split(os.pathsep):
        target["PATH"] = os.pathsep.join(p for p in (path, str(NODE_BIN)) if p)
    return target  # type: ignore[return-value]
