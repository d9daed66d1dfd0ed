"""Run ``ape test`` on private anvils at free ports, optionally in parallel workers.

ape-foundry would otherwise try 127.0.0.1:8545 first and, finding a devnet a developer left
running there (``make devnet``), run the tests against it. Here the port is chosen up front
and handed to ape through ``APE_FOUNDRY_HOST``; ape starts and stops that anvil itself.
pytest's "no tests ran" (exit 5) is a failure.

``-n N`` (or ``-n auto``: one per CPU) runs the tests in N pytest-xdist workers, each with
its own anvil: every worker is started with its own port (``--tx popen//env:...``) and the
plugin :mod:`govchain.toolchain.testworker` points ape at it. Test files are the unit of
work (``--dist loadfile``), so a module's fixtures are built once, in one worker, and the
slowest files start first (the plugin orders them by ``tests/durations.json``). ``-n 1`` or
no ``-n`` runs in this process's one session, as before.
"""

from __future__ import annotations

import os
import random
import socket
import sys

from govchain.toolchain.devnet import free_port
from govchain.toolchain.paths import configure_environment

NETWORK = "ethereum:local:foundry"
PLUGIN = "govchain.toolchain.testworker"
# Workers' anvils listen below Linux's ephemeral range (32768-60999), where free_port() and
# outgoing connections take their ports, so a devnet a test starts on free_port() can never
# land on a worker's port between the choice here and ape starting that worker's anvil.
WORKER_PORTS = range(20000, 32000)


def worker_count(value: str) -> int:
    """``-n``'s value: a number, or ``auto`` for one worker per CPU this process may use."""
    if value == "auto":
        return len(os.sched_getaffinity(0))
    count = int(value)
    if count < 0:
        raise ValueError(value)
    return count


def take_workers(args: list[str]) -> tuple[list[str], int]:
    """Remove ``-n N`` / ``-nN`` / ``--numprocesses[=]N`` from ``args``; (rest, N or 0)."""
    rest: list[str] = []
    workers = 0
    items = iter(args)
    for arg in items:
        if arg in ("-n", "--numprocesses"):
            value = next(items, "")
        elif arg.startswith("--numprocesses="):
            value = arg.split("=", 1)[1]
        elif arg.startswith("-n") and not arg.startswith("--") and len(arg) > 2:
            value = arg[2:]
        else:
            rest.append(arg)
            continue
        workers = worker_count(value)
    return rest, workers


def bindable(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def worker_ports(count: int) -> list[int]:
    """``count`` distinct ports nobody listens on, outside the ephemeral range."""
    candidates = list(WORKER_PORTS)
    random.shuffle(candidates)
    ports = [port for port in candidates[: count * 20] if bindable(port)][:count]
    if len(ports) < count:
        raise RuntimeError(f"found only {len(ports)} free ports of {count} for test workers")
    return ports


def command(args: list[str], env: dict[str, str]) -> list[str]:
    """The ``ape test`` argument list for ``args``; sets ``APE_FOUNDRY_HOST`` in ``env``."""
    args, workers = take_workers(args)
    if not any(a.startswith("--network") for a in args):
        args += ["--network", NETWORK]
    args += ["-p", PLUGIN]
    if workers > 1:
        for port in worker_ports(workers):
            args += ["--tx", f"popen//env:GOVCHAIN_TEST_ANVIL_PORT={port}"]
        if not any(a.startswith("--dist") for a in args):
            args += ["--dist", "loadfile", "--no-loadscope-reorder"]
    # the only anvil when there are no workers; unused by the xdist controller otherwise
    env.setdefault("APE_FOUNDRY_HOST", f"http://127.0.0.1:{free_port()}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    env = configure_environment(dict(os.environ))
    ape = os.path.join(os.path.dirname(sys.executable), "ape")
    os.execve(ape, [ape, "test", *command(args, env)], env)


if __name__ == "__main__":
    raise SystemExit(main())
