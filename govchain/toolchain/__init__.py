"""The project's own build tooling: the Solidity compiler and the anvil devnet.

Nothing here is fetched from the internet at run time: a native ``solc``/``anvil`` on
``PATH`` is preferred, otherwise the npm packages pinned in ``package.json`` are used.
"""

from govchain.toolchain.paths import PROJECT_ROOT, configure_environment

__all__ = ["PROJECT_ROOT", "configure_environment"]
