"""Run ``ape test`` on a private anvil at a free port.

ape-foundry would otherwise try 127.0.0.1:8545 first and, finding a devnet a developer left
running there (``make devnet``), run the tests against it. Here the port is chosen by the OS
and handed to ape through ``APE_FOUNDRY_HOST``; ape starts and stops that anvil itself.
pytest's "no tests ran" (exit 5) is a failure.
"""

from __future__ import annotations

import os
import sys

from govchain.toolchain.devnet import free_port
from govchain.toolchain.paths import configure_environment

NETWORK = "ethereum:local:foundry"


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    env = configure_environment(dict(os.environ))
    env.setdefault("APE_FOUNDRY_HOST", f"http://127.0.0.1:{free_port()}")
    if not any(a.startswith("--network") for a in args):
        args += ["--network", NETWORK]
    ape = os.path.join(os.path.dirname(sys.executable), "ape")
    os.execve(ape, [ape, "test", *args], env)


if __name__ == "__main__":
    raise SystemExit(main())
