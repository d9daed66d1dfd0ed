"""A second, independent EVM client for tests and the demo: EthereumJS under Clique.

The EthereumJS client (npm ``@ethereumjs/client``, pinned in package.json) runs a
proof-of-authority chain with one sealer: blocks every ``period`` seconds (1 by default), no
automine, London-level EVM (so contracts must be built for ``paris``, see
:mod:`govchain.toolchain.evm`), and block headers whose ``extraData`` carries the sealer's
signature (97 bytes, which web3.py refuses without its proof-of-authority middleware; the SDK
detects it, see :func:`govchain.network.connect`).

:class:`EthereumJSNode` writes a geth-style genesis (chain id, Clique period, the sealer in
``extraData``, prefunded accounts), starts the client on a free RPC port and a free devp2p port
(loopback only, no peers, no discovery), waits until it has sealed a block and stops it on
exit. Accounts are the usual test mnemonic's (the same keys anvil funds), so what is derived
from them stays the same on both clients.

    python -m govchain.toolchain.ethereumjs up --port 8547   # runs until Ctrl-C
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from eth_account import Account
from eth_account.signers.local import LocalAccount

from govchain.toolchain.devnet import DevnetError, free_port, port_in_use, rpc
from govchain.toolchain.paths import NODE_BIN, NODE_MODULES

TEST_MNEMONIC = "test test test test test test test test test test test junk"
DEFAULT_CHAIN_ID = 1337
DEFAULT_BALANCE = 10**24  # wei per prefunded account
GAS_LIMIT = 30_000_000


# Upstream bugs of @ethereumjs/client 0.10.5 (with @ethereumjs/vm 10.0.0) under Clique, patched in
# node_modules after `npm ci` (make setup) and checked on every start (docs/deploy-consortium.md):
# 1, 2. A block under construction has no seal yet, so its header fails Clique's extraData
#    check: the miner skipped every transaction and eth_estimateGas failed ("extraData must be 97
#    bytes on non-epoch transition blocks"). Both build such a header only to run transactions
#    on it; the patches skip the format check there (sealed blocks are still fully validated).
# 3. The client's VM is made without the EVM's ``cliqueSigner`` option, which the EVM requires
#    on a Clique chain before it runs any contract code ("Must include cliqueSigner function"):
#    the patch passes @ethereumjs/block's own ``cliqueSigner`` (the header's coinbase for a block
#    not sealed yet, as COINBASE reads it there).
# A fourth is not patched but avoided: a transaction paying a priority fee makes the sealed
# block's state root differ from the miner's ("invalid block stateRoot"), so transactions on
# this chain pay no tip ($GOVCHAIN_PRIORITY_FEE=0).
PATCHES: tuple[tuple[str, str, str], ...] = (
    (
        "@ethereumjs/vm/dist/esm/buildBlock.js",
        "const block = createBlock(blockData, this.blockOpts);",
        "const block = createBlock(blockData, { ...this.blockOpts, skipConsensusFormatValidation: true });",
    ),
    (
        "@ethereumjs/client/dist/esm/src/rpc/modules/eth.js",
        "}, { common: vm.common, setHardfork: true });",
        "}, { common: vm.common, setHardfork: true, skipConsensusFormatValidation: true });",
    ),
    (
        "@ethereumjs/client/dist/esm/src/execution/vmexecution.js",
        "import { ConsensusType, Hardfork } from '@ethereumjs/common';",
        "import { ConsensusType, Hardfork } from '@ethereumjs/common';\n"
        "import { cliqueSigner as govchainCliqueSigner } from '@ethereumjs/block';",
    ),
    (
        "@ethereumjs/client/dist/esm/src/execution/vmexecution.js",
        "this.merkleVM = await createVM({\n            common: this.config.execCommon,\n"
        "            blockchain: this.chain.blockchain,\n            stateManager,\n"
        "            evmOpts: {\n                bls: new MCLBLS(mcl),",
        "this.merkleVM = await createVM({\n            common: this.config.execCommon,\n"
        "            blockchain: this.chain.blockchain,\n            stateManager,\n"
        "            evmOpts: {\n"
        "                cliqueSigner: (h) => { try { return govchainCliqueSigner(h); }"
        " catch { return h.coinbase; } },\n                bls: new MCLBLS(mcl),",
    ),
)
PINNED = {"@ethereumjs/client": "0.10.5", "@ethereumjs/vm": "10.0.0"}


def patch_client(node_modules: Path = NODE_MODULES) -> list[str]:
    """Apply :data:`PATCHES` (idempotent); return the files changed. Refuses another version."""
    for package, version in PINNED.items():
        manifest = node_modules / package / "package.json"
        if not manifest.is_file():
            raise DevnetError(f"{package} is not installed: run 'make setup' (npm ci)")
        found = json.loads(manifest.read_text()).get("version")
        if found != version:
            raise DevnetError(f"{package} is {found}, the patches are for {version}")
    changed = []
    for rel, old, new in PATCHES:
        path = node_modules / rel
        text = path.read_text()
        if new in text:
            continue
        if text.count(old) != 1:
            raise DevnetError(f"{path}: the line to patch is not there once; check the patch")
        path.write_text(text.replace(old, new))
        changed.append(rel)
    return changed


def find_client() -> str:
    local = NODE_BIN / "ethereumjs"
    if local.is_file():
        return str(local)
    found = shutil.which("ethereumjs")
    if found:
        return found
    raise DevnetError("the EthereumJS client is not installed: run 'make setup' (npm ci)")


def test_accounts(count: int) -> list[LocalAccount]:
    """The first ``count`` keys of the test mnemonic (m/44'/60'/0'/0/i)."""
    Account.enable_unaudited_hdwallet_features()
    return [
        Account.from_mnemonic(TEST_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}")
        for i in range(count)
    ]


def clique_genesis(
    chain_id: int, sealer: str, funded: list[str], period: int, balance: int = DEFAULT_BALANCE
) -> dict[str, object]:
    """A geth-format genesis: London rules from block 0, Clique with one sealer."""
    forks = [
        "homestead",
        "eip150",
        "eip155",
        "eip158",
        "byzantium",
        "constantinople",
        "petersburg",
        "istanbul",
        "berlin",
        "london",
    ]
    config: dict[str, object] = {"chainId": chain_id, **{f"{f}Block": 0 for f in forks}}
    config["clique"] = {"period": period, "epoch": 30000}
    zero32 = "00" * 32
    return {
        "config": config,
        "nonce": "0x0",
        "timestamp": hex(int(time.time())),
        # 32 vanity bytes, the sealers' addresses, 65 bytes for the seal
        "extraData": "0x" + zero32 + sealer.lower().removeprefix("0x") + "00" * 65,
        "gasLimit": hex(GAS_LIMIT),
        "difficulty": "0x1",
        "mixHash": "0x" + zero32,
        "coinbase": "0x" + "00" * 20,
        "number": "0x0",
        "gasUsed": "0x0",
        "parentHash": "0x" + zero32,
        "alloc": {a.lower().removeprefix("0x"): {"balance": hex(balance)} for a in funded},
    }


@dataclass
class EthereumJSNode:
    """One EthereumJS client sealing a private Clique chain. A context manager."""

    port: int = 0  # RPC port; 0 picks a free one
    chain_id: int = DEFAULT_CHAIN_ID
    period: int = 1
    accounts: int = 10
    data_dir: Path | None = None  # default: a temporary folder, removed on stop
    log_file: Path | None = None
    host: str = "127.0.0.1"
    extra_args: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    keys: list[LocalAccount] = field(default_factory=list, init=False)
    _own_dir: bool = field(default=False, init=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def sealer(self) -> LocalAccount:
        return self.keys[0]

    def start(self, timeout: float = 120.0) -> EthereumJSNode:
        patch_client()
        if self.port == 0:
            self.port = free_port(self.host)
        elif port_in_use(self.port, self.host):
            raise DevnetError(f"port {self.port} is already in use")
        if self.data_dir is None:
            self.data_dir = Path(tempfile.mkdtemp(prefix="govchain-ethereumjs-"))
            self._own_dir = True
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.keys = test_accounts(max(1, self.accounts))
        genesis = clique_genesis(
            self.chain_id, self.sealer.address, [k.address for k in self.keys], self.period
        )
        (self.data_dir / "genesis.json").write_text(json.dumps(genesis, indent=1))
        key_file = self.data_dir / "sealer.key"
        key_file.write_text(self.sealer.key.hex().removeprefix("0x"))
        key_file.chmod(0o600)
        command = [
            find_client(),
            "--gethGenesis", str(self.data_dir / "genesis.json"),
            "--dataDir", str(self.data_dir / "chain"),
            "--rpc", "--rpcAddr", self.host, "--rpcPort", str(self.port),
            "--port", str(free_port(self.host)), "--extIP", self.host,
            "--mine", "--unlock", str(key_file), "--isSingleNode", *self.extra_args,
            "--saveReceipts", "--maxPeers", "0", "--discV4", "false",
            "--logFile", str(self.data_dir / "client.log"), "--logRotate", "false",
            "--logLevel", os.environ.get("GOVCHAIN_ETHEREUMJS_LOG", "info"),
        ]  # fmt: skip
        log = self.log_file or self.data_dir / "ethereumjs.log"
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
        try:
            self._wait_sealing(timeout, log)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_sealing(self, timeout: float, log: Path) -> None:
        """Until the node answers with the expected chain id and has sealed a block."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = log.read_text(errors="replace").strip().splitlines()[-3:]
                raise DevnetError(
                    f"ethereumjs exited with code {self.process.returncode}: {' | '.join(tail)}"
                )
            try:
                chain_id = int(str(rpc(self.url, "eth_chainId")), 16)
                if chain_id != self.chain_id:
                    raise DevnetError(f"ethereumjs answers chain id {chain_id}")
                if int(str(rpc(self.url, "eth_blockNumber")), 16) >= 1:
                    return
            except (OSError, httpx.HTTPError, ValueError):
                pass
            time.sleep(0.25)
        raise DevnetError(f"ethereumjs at {self.url} sealed no block within {timeout:.0f}s")

    def stop(self, timeout: float = 15.0) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # the client closes its databases
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        if self._own_dir and self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> EthereumJSNode:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m govchain.toolchain.ethereumjs")
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("patch", help="apply the Clique fixes to node_modules (make setup runs it)")
    start = sub.add_parser("up", help="run an EthereumJS Clique chain until interrupted")
    start.add_argument("--port", type=int, default=0)
    start.add_argument("--chain-id", type=int, default=DEFAULT_CHAIN_ID)
    start.add_argument("--period", type=int, default=1, help="seconds between blocks")
    args = parser.parse_args(argv)
    if args.action == "patch":
        try:
            changed = patch_client()
        except DevnetError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"patched {', '.join(changed)}" if changed else "ethereumjs already patched")
        return 0
    node = EthereumJSNode(port=args.port, chain_id=args.chain_id, period=args.period)
    try:
        node.start()
    except DevnetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"ethereumjs running at {node.url} (chain id {node.chain_id}, Clique, sealer "
          f"{node.sealer.address}); Ctrl-C stops it", flush=True)  # fmt: skip
    try:
        while node.process is not None and node.process.poll() is None:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        node.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
