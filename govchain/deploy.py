"""Deploy the govchain contracts to one chain and write its deployment manifest.

Order (each contract needs the ones before it):

1. ``Council`` — the M-of-N council (Big Data Bureau and founding departments' keys).
2. ``DepartmentRegistry`` — governed by the Council contract; the founders are active at once.
   The deployer then binds it to the Council (``bindRegistry``): a seat votes only while its key
   is an ADMIN of an Active department.
3. ``CitizenRegistry`` — citizens' self-sovereign identities, delegates, recovery.
4. ``AttestationRegistry`` — schemas and attestations (the credit file).
5. ``AnchorRegistry`` — the data catalog and the record anchors.
6. ``AccessGrants`` — grants, share requests, access records.
7. ``CaseApprovals`` — cases and e-signed decisions; wired as the attestation registry's
   approval module so an approved case issues its attestation.
8. ``ObjectionRegistry`` — citizens' objections to attestations and records (PIPL art. 46);
   it reads the four registries and needs no wiring.

The catalog is then linked to ``AccessGrants`` so that a category reclassified NotShared stops
access under every grant at once.

The manifest is written after every step, so a deployment interrupted by a crash or a lost
node resumes where it stopped when run again: a contract already in the manifest whose code is
on chain is reused, never deployed twice. ``govchain deploy`` (eth-account keystores) drives
this module through a :class:`Backend` (the tests drive it through the same one).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress

from govchain import validate
from govchain.errors import GovchainError, InvalidInput
from govchain.network import Connection, Deployment, read_deployment, write_deployment
from govchain.sharing.catalog import category_code
from govchain.tx import Sender

CONTRACTS: tuple[str, ...] = (
    "Council",
    "DepartmentRegistry",
    "CitizenRegistry",
    "AttestationRegistry",
    "AnchorRegistry",
    "AccessGrants",
    "RuleRegistry",
    "CaseApprovals",
    "ObjectionRegistry",
)

#: How many distinct approvers of a department sign each of its rule changes (RuleRegistry).
RULE_SIGNATURES = 2

#: How many distinct approvers of the owner department sign each objection decision.
OBJECTION_SIGNATURES = 2

#: GB/T 2260 administrative division codes are six digits.
REGION_MIN, REGION_MAX = 100000, 999999
ZERO32 = b"\0" * 32


#: Turns a name (a keystore's) into an address.
Resolver = Callable[[str], ChecksumAddress]


class DeployError(GovchainError):
    """The deployment could not be completed or does not match what was asked."""


@dataclass(frozen=True)
class FounderSpec:
    """A founding department: active from the deployment on, with its first ADMIN key."""

    code: str
    name: str
    region: int
    admin: ChecksumAddress
    endpoint: str = ""
    metadata_hash: bytes = ZERO32

    def as_tuple(self) -> tuple[bytes, str, int, str, bytes, str]:
        return (
            department_code(self.code),
            self.name,
            self.region,
            self.endpoint,
            self.metadata_hash,
            self.admin,
        )


@dataclass(frozen=True)
class DeployConfig:
    """Who governs the platform at the start: council members, threshold, founders."""

    council_members: tuple[ChecksumAddress, ...]
    threshold: int
    founders: tuple[FounderSpec, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], resolve: Resolver | None = None) -> DeployConfig:
        """Parse ``{"council": {"members": [...], "threshold": M}, "departments": [...]}``.

        Addresses may be given as names (``"bdb-admin"``) when ``resolve`` turns a name into an
        address (the CLI resolves keystore names).
        """
        if not isinstance(data, Mapping):
            raise InvalidInput("deploy config", type(data).__name__, "expected a JSON object")
        council = data.get("council")
        if not isinstance(council, Mapping):
            raise InvalidInput("deploy config", "council", "needs members and threshold")
        raw_members = council.get("members")
        if not isinstance(raw_members, list) or not raw_members:
            raise InvalidInput("council members", raw_members, "expected a non-empty list")
        members = tuple(_address(m, resolve) for m in raw_members)
        if len(set(members)) != len(members):
            raise InvalidInput("council members", raw_members, "an address is listed twice")
        threshold = council.get("threshold")
        if not isinstance(threshold, int) or not 1 <= threshold <= len(members):
            raise InvalidInput(
                "council threshold", threshold, f"expected 1 to {len(members)} (the members)"
            )
        founders = []
        for entry in data.get("departments", []):
            if not isinstance(entry, Mapping):
                raise InvalidInput("department", entry, "expected an object")
            founders.append(_founder(entry, resolve))
        codes = [f.code for f in founders]
        if len(set(codes)) != len(codes):
            raise InvalidInput("departments", codes, "a code is listed twice")
        return cls(members, threshold, tuple(founders))

    @classmethod
    def from_file(cls, path: str | Path, resolve: Resolver | None = None) -> DeployConfig:
        file = Path(path)
        try:
            data = json.loads(file.read_text())
        except OSError as exc:
            raise InvalidInput("deploy config", str(file), exc.strerror or str(exc)) from None
        except ValueError as exc:
            raise InvalidInput("deploy config", str(file), f"not JSON ({exc})") from None
        return cls.from_dict(data, resolve)


def department_code(code: str) -> bytes:
    """A department code as the contracts store it: ASCII right-padded to 32 bytes.

    The registry takes 1 to 29 printable characters without a dot (``DepartmentInvalidCode``):
    category codes are ``<department>.<name>``, so a dot would let two namespaces overlap.
    """
    if not (0 < len(code) <= 29 and code.isascii() and code.isprintable() and " " not in code):
        raise InvalidInput("department code", code, "1 to 29 printable ASCII characters")
    if "." in code:
        raise InvalidInput("department code", code, "no dot (categories are <department>.<name>)")
    return category_code(code)


def _address(value: object, resolve: Resolver | None) -> ChecksumAddress:
    if resolve is not None and isinstance(value, str) and not value.startswith(("0x", "0X")):
        return resolve(value)
    return validate.address(value)


def _founder(entry: Mapping[str, Any], resolve: Resolver | None = None) -> FounderSpec:
    code = entry.get("code")
    if not isinstance(code, str):
        raise InvalidInput("department code", code, "expected a string such as 'HRSS'")
    department_code(code)
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput(f"name of {code}", name, "expected a non-empty string")
    region = entry.get("region")
    if not isinstance(region, int) or not REGION_MIN <= region <= REGION_MAX:
        raise InvalidInput(f"region of {code}", region, "expected a six-digit GB/T 2260 code")
    endpoint = entry.get("endpoint", "")
    if not isinstance(endpoint, str):
        raise InvalidInput(f"endpoint of {code}", endpoint, "expected a URL string")
    metadata = entry.get("metadata_hash")
    return FounderSpec(
        code=code,
        name=name,
        region=region,
        admin=_address(entry.get("admin"), resolve),
        endpoint=endpoint,
        metadata_hash=validate.bytes32(metadata, "metadata hash") if metadata else ZERO32,
    )


class Backend(Protocol):
    """How contracts are deployed and called (:class:`Web3Backend`: web3 + a keystore)."""

    def deploy(self, name: str, *args: Any) -> tuple[ChecksumAddress, int, str]:
        """Deploy ``name``; returns (address, block, transaction hash)."""

    def call(self, name: str, address: ChecksumAddress, function: str, *args: Any) -> Any:
        """A read."""

    def transact(self, name: str, address: ChecksumAddress, function: str, *args: Any) -> str:
        """A write; returns the transaction hash once mined."""

    def has_code(self, address: ChecksumAddress) -> bool: ...


class Web3Backend:
    """Deploys with the SDK's :class:`~govchain.tx.Sender` (checks before sending)."""

    def __init__(self, connection: Connection, account: LocalAccount) -> None:
        self.connection = connection
        self.sender = Sender(connection.w3, account, connection.decoder())

    def deploy(self, name: str, *args: Any) -> tuple[ChecksumAddress, int, str]:
        artifacts = self.connection.artifacts
        receipt = self.sender.deploy(artifacts.abi(name), artifacts.bytecode(name), *args)
        address = receipt["contractAddress"]
        if address is None:
            raise DeployError(f"{name}: the receipt names no contract address")
        return (
            validate.address(address),
            int(receipt["blockNumber"]),
            receipt["transactionHash"].to_0x_hex(),
        )

    def call(self, name: str, address: ChecksumAddress, function: str, *args: Any) -> Any:
        contract = self.connection.contract(name, address)
        return contract.functions[function](*args).call()

    def transact(self, name: str, address: ChecksumAddress, function: str, *args: Any) -> str:
        contract = self.connection.contract(name, address)
        receipt = self.sender.transact(contract.functions[function](*args))
        return str(receipt["transactionHash"].to_0x_hex())

    def has_code(self, address: ChecksumAddress) -> bool:
        return len(self.connection.w3.eth.get_code(address)) > 0


@dataclass
class DeployReport:
    """What a deployment did: the manifest, and per contract whether it was deployed or reused."""

    deployment: Deployment
    manifest: Path
    deployed: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    wired: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.deployment.as_dict(),
            "manifest": str(self.manifest),
            "deployed": self.deployed,
            "reused": self.reused,
            "wired": self.wired,
        }


def _constructor_args(
    name: str, config: DeployConfig, addresses: Mapping[str, ChecksumAddress]
) -> Sequence[Any]:
    if name == "Council":
        return (list(config.council_members), config.threshold)
    if name == "DepartmentRegistry":
        return (addresses["Council"], [f.as_tuple() for f in config.founders])
    if name in ("CitizenRegistry", "AttestationRegistry", "AnchorRegistry"):
        return (addresses["DepartmentRegistry"],)
    if name == "AccessGrants":
        return (
            addresses["DepartmentRegistry"],
            addresses["CitizenRegistry"],
            addresses["AnchorRegistry"],
        )
    if name == "RuleRegistry":
        return (addresses["DepartmentRegistry"], addresses["AttestationRegistry"], RULE_SIGNATURES)
    if name == "CaseApprovals":
        return (
            addresses["DepartmentRegistry"],
            addresses["CitizenRegistry"],
            addresses["AttestationRegistry"],
            addresses["RuleRegistry"],
        )
    if name == "ObjectionRegistry":
        return (
            addresses["DepartmentRegistry"],
            addresses["CitizenRegistry"],
            addresses["AttestationRegistry"],
            addresses["AnchorRegistry"],
            OBJECTION_SIGNATURES,
        )
    raise DeployError(f"no constructor arguments known for {name}")


def deploy_all(
    backend: Backend,
    chain_id: int,
    config: DeployConfig,
    *,
    home: str | Path | None = None,
    fresh: bool = False,
    compiler_version: str = "",
    progress: Callable[[str], None] | None = None,
) -> DeployReport:
    """Deploy (or resume deploying) every contract of :data:`CONTRACTS` and wire them.

    With ``fresh`` an existing manifest for this chain is ignored and replaced.
    """
    say = progress or (lambda _message: None)
    previous: Deployment | None = None
    if not fresh:
        try:
            previous = read_deployment(chain_id, home)
        except GovchainError:
            previous = None
    deployment = Deployment.new(chain_id, compiler_version)
    report = DeployReport(deployment, Path())
    addresses: dict[str, ChecksumAddress] = {}
    for name in CONTRACTS:
        old = previous.contracts.get(name) if previous else None
        if old is not None and backend.has_code(old.address):
            deployment.contracts[name] = old
            addresses[name] = old.address
            report.reused.append(name)
            say(f"{name} already at {old.address}")
            continue
        address, block, tx_hash = backend.deploy(name, *_constructor_args(name, config, addresses))
        deployment.add(name, address, block, tx_hash)
        addresses[name] = address
        report.deployed.append(name)
        report.manifest = write_deployment(deployment, home)
        say(f"{name} deployed at {address} (block {block}, tx {tx_hash})")

    registry, cases = addresses["AttestationRegistry"], addresses["CaseApprovals"]
    module = validate.address(backend.call("AttestationRegistry", registry, "approvalModule"))
    if int(module, 16) == 0:
        tx_hash = backend.transact("AttestationRegistry", registry, "setApprovalModule", cases)
        report.wired.append(f"AttestationRegistry.setApprovalModule({cases}) in {tx_hash}")
        say(f"AttestationRegistry issues attestations for CaseApprovals (tx {tx_hash})")
    elif module != cases:
        raise DeployError(
            f"AttestationRegistry at {registry} is wired to {module}, not CaseApprovals at {cases}"
        )
    catalog, grants = addresses["AnchorRegistry"], addresses["AccessGrants"]
    linked = validate.address(backend.call("AnchorRegistry", catalog, "accessGrants"))
    if int(linked, 16) == 0:
        tx_hash = backend.transact("AnchorRegistry", catalog, "setAccessGrants", grants)
        report.wired.append(f"AnchorRegistry.setAccessGrants({grants}) in {tx_hash}")
        say(f"the catalog reports reclassifications to AccessGrants (tx {tx_hash})")
    elif linked != grants:
        raise DeployError(
            f"the catalog at {catalog} reports to {linked}, not AccessGrants at {grants}"
        )
    council = backend.call("DepartmentRegistry", addresses["DepartmentRegistry"], "council")
    if validate.address(council) != addresses["Council"]:
        raise DeployError(f"DepartmentRegistry is governed by {council}, not the Council contract")
    # A council seat votes only while its key is an ADMIN of an Active department: the council
    # reads that from the registry it governs, bound once by the deployer.
    departments = addresses["DepartmentRegistry"]
    bound = validate.address(backend.call("Council", addresses["Council"], "registry"))
    if int(bound, 16) == 0:
        tx_hash = backend.transact("Council", addresses["Council"], "bindRegistry", departments)
        report.wired.append(f"Council.bindRegistry({departments}) in {tx_hash}")
        say(f"the council's seats are the department registry's ADMIN keys (tx {tx_hash})")
    elif bound != departments:
        raise DeployError(f"the Council reads its seats from {bound}, not DepartmentRegistry")
    report.manifest = write_deployment(deployment, home)
    return report


def deploy(
    connection: Connection,
    account: LocalAccount,
    config: DeployConfig,
    *,
    fresh: bool = False,
    progress: Callable[[str], None] | None = None,
) -> DeployReport:
    """Deploy with a local (keystore) account over ``connection``."""
    return deploy_all(
        Web3Backend(connection, account),
        connection.chain_id,
        config,
        home=connection.home,
        fresh=fresh,
        compiler_version=connection.artifacts.compiler_version,
        progress=progress,
    )
