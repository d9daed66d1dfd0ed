"""Start, stop and inspect a local anvil devnet.

Used by ``make devnet`` / ``make devnet-stop`` (a long-lived devnet on 127.0.0.1:8545 whose
state survives restarts), by the demo, and by tests that need their own devnet on a free port.
anvil is looked up on ``PATH`` first (foundryup installs), then in ``node_modules/.bin``.

Disk: anvil keeps the states of the last ~200 blocks in memory and writes older ones (one JSON
file of the whole state per block, up to 3,600 of them, ~1 MB each for a deployed city) to a
folder ``anvil-state-*`` under its cache path, by default ``~/.foundry/anvil/tmp``, which it
never removes, whether stopped or killed: every test run left GBs there. So every anvil started
here gets its own cache path (``--cache-path``), removed once it has stopped. Old states stay
readable while it runs (audits read contracts at past blocks).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

from govchain.toolchain.paths import NODE_BIN, PROJECT_ROOT

DEFAULT_DIR = PROJECT_ROOT / ".devnet"
DEFAULT_PORT = 8545
DEFAULT_CHAIN_ID = 31337


class DevnetError(RuntimeError):
    """The devnet could not be started, reached or stopped."""


def find_anvil() -> str:
    found = shutil.which("anvil")
    if found:
        return found
    local = NODE_BIN / "anvil"
    if local.is_file():
        return str(local)
    raise DevnetError("anvil not found: run 'make setup' (npm ci) or install foundry")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


# One HTTP client per process (a forked child makes its own): a new client per call builds an
# SSL context and a connection each time, ~25 ms of CPU against ~1 ms on a kept connection,
# and tests and fixtures make thousands of these calls (funding, snapshots, block reads).
_clients: dict[int, httpx.Client] = {}


def _client() -> httpx.Client:
    pid = os.getpid()
    if (client := _clients.get(pid)) is None:
        client = _clients[pid] = httpx.Client()
    return client


def rpc(url: str, method: str, params: list[object] | None = None, timeout: float = 2.0) -> object:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}
    if not url.startswith(("http://", "https://")):
        raise DevnetError(f"not an HTTP JSON-RPC URL: {url}")
    response = _client().post(url, json=body, timeout=timeout)
    response.raise_for_status()
    reply = response.json()
    if "error" in reply:
        raise DevnetError(f"{method}: {reply['error']}")
    return reply["result"]


@dataclass
class DevnetConfig:
    port: int = DEFAULT_PORT
    host: str = "127.0.0.1"
    chain_id: int = DEFAULT_CHAIN_ID
    zero_fee: bool = False
    state_file: Path | None = None
    state_interval: int = 5
    accounts: int = 10
    extra_args: list[str] = field(default_factory=list)
    # where anvil writes old states; None: a private temporary folder per start (see above)
    cache_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def command(self) -> list[str]:
        cmd = [
            find_anvil(),
            "--host", self.host,
            "--port", str(self.port),
            "--chain-id", str(self.chain_id),
            "--accounts", str(self.accounts),
        ]  # fmt: skip
        if self.zero_fee:
            # How consortium networks (Besu QBFT, FISCO BCOS) usually run: gas is metered, not paid.
            cmd += [
                "--block-base-fee-per-gas",
                "0",
                "--gas-price",
                "0",
                "--disable-min-priority-fee",
            ]
        if self.state_file is not None:
            cmd += ["--state", str(self.state_file), "--state-interval", str(self.state_interval)]
        if self.cache_path is not None:
            cmd += ["--cache-path", str(self.cache_path)]
        return cmd + self.extra_args


def wait_ready(
    url: str, timeout: float = 30.0, process: subprocess.Popen[bytes] | None = None
) -> int:
    """Wait until ``url`` answers ``eth_chainId``; return the chain id."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise DevnetError(f"anvil exited with code {process.returncode} before it was ready")
        try:
            return int(str(rpc(url, "eth_chainId")), 16)
        except (OSError, httpx.HTTPError, DevnetError, ValueError) as exc:
            last = exc
            time.sleep(0.1)
    raise DevnetError(f"devnet at {url} not ready after {timeout:.0f}s: {last}")


class Devnet:
    """One anvil process. Use as a context manager in tests: it always stops what it started."""

    def __init__(self, config: DevnetConfig, log_file: Path | None = None) -> None:
        self.config = config
        self.log_file = log_file
        self.process: subprocess.Popen[bytes] | None = None
        self.cache: Path | None = None  # the private cache path of the running anvil

    @property
    def url(self) -> str:
        return self.config.url

    def start(self, timeout: float = 30.0) -> Devnet:
        if port_in_use(self.config.port, self.config.host):
            raise DevnetError(f"port {self.config.port} is already in use")
        command = self.config.command()
        if self.config.cache_path is None:
            self.cache = Path(tempfile.mkdtemp(prefix="govchain-anvil-"))
            command += ["--cache-path", str(self.cache)]
        out = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL  # noqa: SIM115
        try:
            self.process = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
        except OSError:
            self._remove_cache()
            raise
        finally:
            if self.log_file:
                out.close()  # type: ignore[union-attr]
        try:
            wait_ready(self.url, timeout, self.process)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop anvil (if it still runs) and remove its private cache path, also when it was
        killed from outside."""
        try:
            if self.process is not None and self.process.poll() is None:
                # SIGTERM lets anvil dump its --state file before it exits.
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(timeout)
        finally:
            if self.process is None or self.process.poll() is not None:
                self._remove_cache()

    def _remove_cache(self) -> None:
        if self.cache is not None:
            shutil.rmtree(self.cache, ignore_errors=True)
            self.cache = None

    def __enter__(self) -> Devnet:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- the long-lived devnet of `make devnet`: a pid file in .devnet/ --------------------------


def _pid_file(folder: Path) -> Path:
    return folder / "anvil.json"


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs. A zombie (exited, not yet reaped by its parent) has stopped: when
    the devnet was started by this same process, reap it; otherwise read its state in /proc."""
    try:
        reaped, _status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # not our child: ask the kernel
        pass
    else:
        if reaped == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def read_status(folder: Path = DEFAULT_DIR) -> dict[str, object] | None:
    """The running long-lived devnet's record, or ``None`` (a stale record is removed)."""
    record_file = _pid_file(folder)
    if not record_file.is_file():
        return None
    record: dict[str, object] = json.loads(record_file.read_text())
    if not _alive(int(str(record["pid"]))):
        record_file.unlink()
        shutil.rmtree(_cache_folder(folder), ignore_errors=True)
        return None
    return record


def _cache_folder(folder: Path) -> Path:
    """The long-lived devnet's cache path: emptied when it starts and when it stops."""
    return folder / "cache"


def _settings_file(folder: Path) -> Path:
    return folder / "settings.json"


def resume_settings(
    folder: Path, chain_id: int | None, zero_fee: bool | None, state_file: Path | None = None
) -> tuple[int, bool]:
    """The chain id and fee setting to start with: the saved devnet's when its state is kept.

    A devnet saved in ``folder`` records the settings it was created with (``settings.json``);
    restarting it with different ones would bring back its state under another chain id or other
    fees, and every client would then fail ("deployment not found", "Out of gas"). So settings
    left out are taken from the record, and settings that contradict it are refused.
    """
    state = state_file or folder / "state.json"
    record_file = _settings_file(folder)
    saved: dict[str, object] = {}
    if state.is_file() and record_file.is_file():
        saved = json.loads(record_file.read_text())
    saved_id = saved.get("chain_id")
    saved_fee = saved.get("zero_fee")
    if saved_id is not None and chain_id is not None and chain_id != saved_id:
        raise DevnetError(
            f"the devnet saved in {folder} has chain id {saved_id}, not {chain_id}: start it "
            f"without --chain-id (or with {saved_id}), or delete {state} to start afresh"
        )
    if saved_fee is not None and zero_fee is not None and zero_fee != saved_fee:
        want = "--zero-fee" if saved_fee else "fees (no --zero-fee)"
        raise DevnetError(
            f"the devnet saved in {folder} was created with {want}: start it the same way, "
            f"or delete {state} to start afresh"
        )
    resolved_id = int(str(saved_id)) if saved_id is not None else chain_id or DEFAULT_CHAIN_ID
    resolved_fee = bool(saved_fee) if saved_fee is not None else bool(zero_fee)
    return resolved_id, resolved_fee


def up(config: DevnetConfig, folder: Path = DEFAULT_DIR) -> dict[str, object]:
    """Start the long-lived devnet (or return the running one's record). ``config`` should have
    been resolved with :func:`resume_settings` when it restarts a saved devnet."""
    folder.mkdir(parents=True, exist_ok=True)
    running = read_status(folder)
    if running is not None:
        return running
    if config.state_file is None:
        config.state_file = folder / "state.json"
    if config.cache_path is None:
        config.cache_path = _cache_folder(folder)
        shutil.rmtree(config.cache_path, ignore_errors=True)  # a killed devnet's old states
    _settings_file(folder).write_text(
        json.dumps({"chain_id": config.chain_id, "zero_fee": config.zero_fee}, indent=2)
    )
    devnet = Devnet(config, log_file=folder / "anvil.log")
    devnet.start()
    assert devnet.process is not None
    record: dict[str, object] = {
        "pid": devnet.process.pid,
        "url": config.url,
        **{k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()},
    }
    _pid_file(folder).write_text(json.dumps(record, indent=2))
    return record


def down(folder: Path = DEFAULT_DIR, timeout: float = 15.0) -> bool:
    """Stop the long-lived devnet; return whether one was running."""
    record = read_status(folder)
    if record is None:
        return False
    pid = int(str(record["pid"]))
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
        while _alive(pid) and time.monotonic() < deadline + 5:
            time.sleep(0.1)
    _pid_file(folder).unlink(missing_ok=True)
    shutil.rmtree(_cache_folder(folder), ignore_errors=True)
    return True


DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


def parse_duration(text: str) -> int:
    """Seconds in ``text``: a number of seconds, or parts such as ``7d``, ``1d12h``, ``90m``."""
    value = text.strip().lower()
    if value.isdigit():
        return int(value)
    parts = re.fullmatch(r"(?:\d+[smhdw])+", value)
    if not parts:
        raise ValueError(f"{text!r} is not a duration (e.g. 3600, 90m, 7d, 1d12h)")
    return sum(int(n) * DURATION_UNITS[u] for n, u in re.findall(r"(\d+)([smhdw])", value))


def advance(url: str, seconds: int) -> int:
    """Move a local anvil devnet's clock forward by ``seconds`` and mine a block at the new time;
    return that block's timestamp. Refuses any node that is not anvil (a real chain's clock
    cannot be moved)."""
    if seconds <= 0:
        raise DevnetError("the time to advance must be positive")
    try:
        client = str(rpc(url, "web3_clientVersion"))
    except (OSError, httpx.HTTPError, ValueError) as exc:
        raise DevnetError(f"no devnet answers at {url} ({exc})") from None
    if not client.lower().startswith("anvil"):
        raise DevnetError(f"{url} runs {client}, not a local anvil devnet: its clock cannot move")
    rpc(url, "evm_increaseTime", [seconds])
    rpc(url, "evm_mine")
    block = rpc(url, "eth_getBlockByNumber", ["latest", False])
    assert isinstance(block, dict)
    return int(str(block["timestamp"]), 16)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m govchain.toolchain.devnet")
    sub = parser.add_subparsers(dest="action", required=True)
    start = sub.add_parser("up", help="start the long-lived devnet (state kept in .devnet/)")
    start.add_argument("--port", type=int, default=DEFAULT_PORT)
    start.add_argument(
        "--chain-id",
        type=int,
        default=None,
        help=f"default: the saved one, else {DEFAULT_CHAIN_ID}",
    )
    start.add_argument(
        "--zero-fee",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="base fee and gas price 0 (default: as saved, else off)",
    )
    start.add_argument(
        "--state", type=Path, default=None, help="state file (default .devnet/state.json)"
    )
    sub.add_parser("down", help="stop it (its state is saved)")
    sub.add_parser("status", help="is it running")
    sub.add_parser("free-port", help="print a free TCP port on 127.0.0.1")
    args = parser.parse_args(argv)
    try:
        if args.action == "up":
            chain_id, zero_fee = resume_settings(
                DEFAULT_DIR, args.chain_id, args.zero_fee, args.state
            )
            config = DevnetConfig(
                port=args.port, chain_id=chain_id, zero_fee=zero_fee, state_file=args.state
            )
            record = up(config)
            print(
                f"devnet running at {record['url']} (chain id {record['chain_id']}, pid {record['pid']})"
            )
        elif args.action == "down":
            print("devnet stopped" if down() else "no devnet running")
        elif args.action == "status":
            status = read_status()
            if status is None:
                print("no devnet running")
                return 1
            print(
                f"devnet running at {status['url']} (chain id {status['chain_id']}, pid {status['pid']})"
            )
        else:
            print(free_port())
    except DevnetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
