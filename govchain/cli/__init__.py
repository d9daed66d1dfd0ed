"""The ``govchain`` command line: one click group per role or concern, thin over the SDK.

Each command group lives in its own module here and is listed in
:data:`govchain.cli.app.COMMANDS` (name, module, the line ``--help`` shows); a module is imported
only when its command runs. Adding one is a module with a ``group`` object and a line there. Shared pieces: :mod:`.context` (options of the root command, the connection, the
signing key, output), :mod:`.params` (parameter types that reject malformed input with exit 2).
"""

from govchain.cli.app import cli, main

__all__ = ["cli", "main"]
