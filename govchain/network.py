"""Network configuration, fees and the per-chain deployment manifest.

* RPC URL: argument, else ``$GOVCHAIN_RPC``, else the local devnet ``http://127.0.0.1:8545``.
  Any JSON-RPC node works (anvil, Besu QBFT, FISCO BCOS's EVM); an IPC path is accepted too.
* State folder (keystores, manifests): argument, else ``$GOVCHAIN_HOME``, else ``.govchain/``
  in the current directory.
* Fees (:func:`fee_fields`): ``$GOVCHAIN_GAS_PRICE`` (wei, legacy) when the network's
  configuration says so (``0`` on a consortium network where gas is metered, not paid); else
  EIP-1559 fields when blocks carry a base fee, a legacy ``gasPrice`` of 0 on zero-fee networks
  (base fee 0, and a suggested gas price of 0 or a paying key that holds nothing: a node such as
  ``anvil --base-fee 0 --gas-price 0`` still suggests a 1 gwei tip it does not require), legacy
  otherwise.
* Deployment manifest ``<home>/deployments/<chain_id>.json``: contract name -> address and
  block, the first deploy block, and the versions that produced it. The deploy script writes
  it; every client reads it (:class:`Connection`).
* Proof-of-authority headers (Clique, Besu QBFT/IBFT) carry more than 32 bytes of
  ``extraData``, which web3.py refuses; :func:`connect` injects web3.py's
  ``ExtraDataToPOAMiddleware`` when the latest block has such a header (``$GOVCHAIN_POA``:
  ``auto``, the default; ``1`` always; ``0`` never).
* ``$GOVCHAIN_PRIORITY_FEE`` (wei) fixes the EIP-1559 tip, e.g. ``0`` on a network whose
  sealers take no tips (the EthereumJS client under Clique cannot mine a tip, see
  docs/deploy-consortium.md); ``$GOVCHAIN_CONFIRMATIONS`` (default 1) is how many blocks a
  receipt must be buried under before a send returns (:class:`govchain.tx.Sender`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import Web3Exception
from web3.middleware import ExtraDataToPOAMiddleware
from web3.providers import IPCProvider, JSONBaseProvider
from web3.types import RPCEndpoint, RPCResponse, TxParams, Wei

from govchain import validate
from govchain.artifacts import Artifacts, load_artifacts
from govchain.errors import (
    ErrorDecoder,
    GovchainError,
    InvalidInput,
    NetworkUnavailable,
    NotFound,
    WrongChain,
)
from govchain.httprpc import TRANSPORT_ERRORS, client, describe
from govchain.settings import (
    DEFAULT_HOME,
    DEFAULT_RPC,
    ENV_CHAIN_ID,
    ENV_HOME,
    ENV_RPC,
    expected_chain_id,
    rpc_url,
    state_home,
)

ENV_GAS_PRICE = "GOVCHAIN_GAS_PRICE"
ENV_PRIORITY_FEE = "GOVCHAIN_PRIORITY_FEE"
ENV_POA = "GOVCHAIN_POA"
ENV_CONFIRMATIONS = "GOVCHAIN_CONFIRMATIONS"
POA_MIDDLEWARE = "proof_of_authority"
DEFAULT_TIMEOUT = 30.0
MANIFEST_FORMAT = 1

# re-exported: "the node did not answer" (httprpc) and where things are (settings)
__all__ = [
    "DEFAULT_HOME",
    "DEFAULT_RPC",
    "ENV_CHAIN_ID",
    "ENV_HOME",
    "ENV_RPC",
    "TRANSPORT_ERRORS",
    "rpc_url",
    "state_home",
]


def govchain_version() -> str:
    try:
        return metadata.version("govchain")
    except metadata.PackageNotFoundError:
        return "0+unknown"


class HttpxProvider(JSONBaseProvider):
    """A web3 provider on httpx (web3's own HTTPProvider uses requests): web3's public
    ``JSONBaseProvider`` encodes and decodes, this class only moves the bytes."""

    def __init__(self, endpoint_uri: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__()
        self.endpoint_uri = endpoint_uri
        self._client = client(timeout)
        # web3's validation middleware asks for the chain id before each call and transaction;
        # an endpoint's chain id does not change, so the first answer is kept (web3's own
        # HTTPProvider keeps it the same way when its request cache is on)
        self._chain_id: RPCResponse | None = None

    def __str__(self) -> str:
        return f"RPC connection {self.endpoint_uri}"

    def _post(self, data: bytes) -> bytes:
        response = self._client.post(self.endpoint_uri, content=data)
        response.raise_for_status()
        return response.content

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        if method == "eth_chainId" and self._chain_id is not None:
            return self._chain_id
        reply = self.decode_rpc_response(self._post(self.encode_rpc_request(method, params)))
        if method == "eth_getLogs":
            return matching_logs(params, reply)
        if method == "eth_chainId" and "result" in reply and "error" not in reply:
            self._chain_id = reply
        return reply

    def make_batch_request(
        self, batch_requests: list[tuple[RPCEndpoint, Any]]
    ) -> list[RPCResponse] | RPCResponse:
        reply = self.decode_rpc_response(self._post(self.encode_batch_rpc_request(batch_requests)))
        if not isinstance(reply, list):
            return reply  # the node refused the batch as a whole
        return sorted(reply, key=lambda r: int(r.get("id") or 0))

    def is_connected(self, show_traceback: bool = False) -> bool:
        try:
            self.make_request(RPCEndpoint("web3_clientVersion"), [])
        except (httpx.HTTPError, OSError, ValueError):
            if show_traceback:
                raise
            return False
        return True


def make_web3(url: str, timeout: float = DEFAULT_TIMEOUT) -> Web3:
    """A Web3 for ``url`` without touching the network."""
    if url.startswith(("http://", "https://")):
        return Web3(HttpxProvider(url, timeout))
    if url.startswith(("ws://", "wss://")):
        raise InvalidInput("RPC URL", url, "WebSocket is not supported; use the HTTP endpoint")
    if url.endswith(".ipc") or Path(url).is_socket():
        return Web3(IPCProvider(url, timeout=int(timeout)))
    raise InvalidInput("RPC URL", url, "expected http(s)://host:port or an IPC socket path")


def connect(
    url: str | None = None, chain_id: int | None = None, timeout: float = DEFAULT_TIMEOUT
) -> Web3:
    """A Web3 whose node answers; checks the chain id when one is expected."""
    target = rpc_url(url)
    w3 = make_web3(target, timeout)
    actual = fetch_chain_id(w3, target)
    if chain_id is not None and actual != chain_id:
        raise WrongChain(chain_id, actual, target)
    if _poa_wanted(w3):
        use_poa_headers(w3)
    return w3


def _poa_wanted(w3: Web3) -> bool:
    setting = os.environ.get(ENV_POA, "auto").strip().lower()
    if setting in ("1", "true", "yes"):
        return True
    if setting in ("0", "false", "no"):
        return False
    if setting != "auto":
        raise InvalidInput(ENV_POA, setting, "expected auto, 1 or 0")
    return has_poa_headers(w3)


def has_poa_headers(w3: Web3) -> bool:
    """Whether the latest block's ``extraData`` is longer than the 32 bytes of Ethereum's rules
    (a proof-of-authority chain: Clique, QBFT, IBFT). Read raw, before any block formatter."""
    reply = w3.provider.make_request("eth_getBlockByNumber", ["latest", False])  # type: ignore[arg-type]
    block = reply.get("result") if isinstance(reply, dict) else None
    extra = block.get("extraData", "0x") if isinstance(block, dict) else "0x"
    return isinstance(extra, str) and len(extra.removeprefix("0x")) > 64


def use_poa_headers(w3: Web3) -> None:
    """Let ``w3`` read proof-of-authority blocks: web3.py's own middleware, at layer 0."""
    if POA_MIDDLEWARE not in w3.middleware_onion:
        w3.middleware_onion.inject(ExtraDataToPOAMiddleware, name=POA_MIDDLEWARE, layer=0)


def confirmations() -> int:
    """Blocks a receipt must be buried under (``$GOVCHAIN_CONFIRMATIONS``, default 1: mined)."""
    text = os.environ.get(ENV_CONFIRMATIONS, "").strip() or "1"
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise InvalidInput(ENV_CONFIRMATIONS, text, "expected a whole number of blocks, 1 or more")
    return value


def fetch_chain_id(w3: Web3, url: str) -> int:
    try:
        return int(w3.eth.chain_id)
    except TRANSPORT_ERRORS as exc:
        raise NetworkUnavailable(url, _reason(exc)) from None
    except (Web3Exception, httpx.HTTPStatusError, OSError, ValueError) as exc:
        raise NetworkUnavailable(url, f"not a JSON-RPC node ({_reason(exc)})") from None


_reason = describe


# --- logs ---------------------------------------------------------------------------------


def _topic_hex(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return str(value).lower()


def matching_logs(params: Any, reply: RPCResponse) -> RPCResponse:
    """An ``eth_getLogs`` reply with only the logs its filter asked for (:func:`log_matches`
    and the address): every web3 log query of the SDK (``get_logs`` of a contract event,
    ``w3.eth.get_logs``) is checked here once, whatever the node did with the filter."""
    result = reply.get("result")
    if not isinstance(result, list) or not params or not isinstance(params[0], Mapping):
        return reply
    query = params[0]
    topics = query.get("topics") or []
    address = query.get("address")
    wanted = None
    if address:
        options = address if isinstance(address, list | tuple) else [address]
        wanted = {str(a).lower() for a in options}
    kept = [
        log
        for log in result
        if log_matches(log, topics)
        and (wanted is None or str(log.get("address", "")).lower() in wanted)
    ]
    return {**reply, "result": kept}


def log_matches(log: Mapping[str, Any], topics: Sequence[Any]) -> bool:
    """Whether ``log`` matches an ``eth_getLogs`` topic filter (``None`` = any, a list = any of).

    Checked again on the client: the EthereumJS client 0.10.5 ignores topic positions after the
    first, so a query for one department's anchors returned every department's.
    """
    found = [_topic_hex(t) for t in log.get("topics", [])]
    for position, wanted in enumerate(topics):
        if wanted is None:
            continue
        if position >= len(found):
            return False
        options = wanted if isinstance(wanted, list | tuple) else [wanted]
        if found[position] not in {_topic_hex(w) for w in options}:
            return False
    return True


# --- fees ---------------------------------------------------------------------------------


def fee_fields(w3: Web3, payer: str | None = None) -> TxParams:
    """Fee fields for a transaction sent now by ``payer`` (see module docstring).

    On a chain whose blocks charge no base fee, a key with no balance can only offer a gas
    price of 0: it is sent at 0, which such a chain accepts unless its nodes insist on a tip
    (then the send fails with :class:`~govchain.errors.InsufficientFunds`, which says so).
    """
    configured = os.environ.get(ENV_GAS_PRICE, "").strip()
    if configured:
        try:
            return {"gasPrice": Wei(int(configured, 0))}
        except ValueError:
            raise InvalidInput(ENV_GAS_PRICE, configured, "expected a gas price in wei") from None
    block = w3.eth.get_block("latest")
    base_fee = block.get("baseFeePerGas")
    gas_price = int(w3.eth.gas_price)
    if base_fee is None:
        return {"gasPrice": Wei(gas_price)}
    if int(base_fee) == 0 and (
        gas_price == 0 or (payer is not None and int(w3.eth.get_balance(payer)) == 0)  # type: ignore[arg-type]
    ):
        return {"gasPrice": Wei(0)}
    fixed_tip = os.environ.get(ENV_PRIORITY_FEE, "").strip()
    if fixed_tip:
        try:
            tip = int(fixed_tip, 0)
        except ValueError:
            raise InvalidInput(ENV_PRIORITY_FEE, fixed_tip, "expected a tip in wei") from None
        return {"maxFeePerGas": Wei(2 * int(base_fee) + tip), "maxPriorityFeePerGas": Wei(tip)}
    try:
        tip = int(w3.eth.max_priority_fee)
    except (Web3Exception, ValueError):
        tip = max(gas_price - int(base_fee), 0)
    return {"maxFeePerGas": Wei(2 * int(base_fee) + tip), "maxPriorityFeePerGas": Wei(tip)}


def is_zero_fee(w3: Web3) -> bool:
    return fee_fields(w3).get("gasPrice") == 0


# --- deployment manifest ------------------------------------------------------------------


@dataclass(frozen=True)
class DeployedContract:
    address: ChecksumAddress
    block: int
    tx_hash: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"address": self.address, "block": self.block, "tx_hash": self.tx_hash}


@dataclass
class Deployment:
    """What is deployed on one chain."""

    chain_id: int
    contracts: dict[str, DeployedContract] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    deployed_at: str = ""

    @property
    def deploy_block(self) -> int:
        """The first block of the deployment: where event readers start."""
        return min((c.block for c in self.contracts.values()), default=0)

    def add(self, name: str, address: str, block: int, tx_hash: str = "") -> DeployedContract:
        entry = DeployedContract(validate.address(address), int(block), tx_hash)
        self.contracts[name] = entry
        return entry

    def address(self, name: str) -> ChecksumAddress:
        try:
            return self.contracts[name].address
        except KeyError:
            raise NotFound(
                "contract", name, f"not in the deployment of chain {self.chain_id}"
            ) from None

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": MANIFEST_FORMAT,
            "chain_id": self.chain_id,
            "deploy_block": self.deploy_block,
            "deployed_at": self.deployed_at,
            "versions": dict(self.versions),
            "contracts": {name: c.as_dict() for name, c in sorted(self.contracts.items())},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Deployment:
        deployment = cls(
            chain_id=int(data["chain_id"]),
            versions={str(k): str(v) for k, v in dict(data.get("versions", {})).items()},
            deployed_at=str(data.get("deployed_at", "")),
        )
        for name, entry in dict(data.get("contracts", {})).items():
            deployment.add(
                str(name), entry["address"], int(entry.get("block", 0)), entry.get("tx_hash", "")
            )
        return deployment

    @classmethod
    def new(cls, chain_id: int, compiler_version: str = "") -> Deployment:
        versions = {"govchain": govchain_version()}
        if compiler_version:
            versions["compiler"] = compiler_version
        return cls(chain_id, versions=versions, deployed_at=datetime.now(UTC).isoformat())


class ManifestError(GovchainError):
    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        super().__init__(f"deployment manifest {path}: {reason}")


def manifest_path(chain_id: int, home: str | Path | None = None) -> Path:
    return state_home(home) / "deployments" / f"{int(chain_id)}.json"


def read_deployment(chain_id: int, home: str | Path | None = None) -> Deployment:
    path = manifest_path(chain_id, home)
    if not path.is_file():
        raise NotFound(
            "deployment for chain", chain_id, f"no {path}; run 'govchain deploy' on this network"
        )
    try:
        deployment = Deployment.from_dict(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ManifestError(path, f"unreadable ({exc})") from None
    if deployment.chain_id != int(chain_id):
        raise ManifestError(path, f"records chain id {deployment.chain_id}")
    return deployment


def write_deployment(deployment: Deployment, home: str | Path | None = None) -> Path:
    """Write the manifest atomically (a reader never sees half a file)."""
    path = manifest_path(deployment.chain_id, home)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(deployment.as_dict(), indent=2) + "\n")
    tmp.replace(path)
    return path


# --- a connection: what every client module needs -----------------------------------------


class Connection:
    """A node, its chain id, the state folder, the artifacts and the deployment, together.

    Contract modules take a ``Connection`` and call :meth:`contract` for their web3 contract.
    """

    def __init__(
        self,
        w3: Web3,
        url: str,
        chain_id: int,
        home: Path,
        artifacts: Artifacts | None = None,
        deployment: Deployment | None = None,
    ) -> None:
        self.w3 = w3
        self.url = url
        self.chain_id = chain_id
        self.home = home
        self._artifacts = artifacts
        self._deployment = deployment

    @classmethod
    def open(
        cls,
        url: str | None = None,
        home: str | Path | None = None,
        chain_id: int | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        artifacts: Artifacts | None = None,
    ) -> Connection:
        target = rpc_url(url)
        chain_id = expected_chain_id(chain_id)
        w3 = connect(target, chain_id, timeout)
        return cls(w3, target, int(w3.eth.chain_id), state_home(home), artifacts)

    @property
    def artifacts(self) -> Artifacts:
        if self._artifacts is None:
            self._artifacts = load_artifacts()
        return self._artifacts

    @property
    def deployment(self) -> Deployment:
        if self._deployment is None:
            self._deployment = read_deployment(self.chain_id, self.home)
        return self._deployment

    def decoder(self) -> ErrorDecoder:
        return self.artifacts.error_decoder()

    def contract(self, name: str, address: str | None = None, check_code: bool = True) -> Contract:
        """The web3 contract ``name`` at ``address`` (default: from the deployment manifest)."""
        target = validate.address(address) if address else self.deployment.address(name)
        if check_code and len(self.w3.eth.get_code(target)) == 0:
            raise NotFound(f"code of {name} at", target, "was the devnet reset? deploy again")
        return self.w3.eth.contract(address=target, abi=self.artifacts.abi(name))

    def fee_fields(self) -> TxParams:
        return fee_fields(self.w3)
