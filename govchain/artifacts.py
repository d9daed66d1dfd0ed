"""Contract ABIs and deployment bytecode from ape's compiled manifest.

``ape compile`` writes ``.build/__local__.json`` (an ethPM v3 manifest): ``contractTypes[name]``
holds ``abi``, ``deploymentBytecode.bytecode`` and ``runtimeBytecode.bytecode``; ``compilers``
names the compiler version. The SDK reads it directly (no ape at run time), so clients work
against any JSON-RPC node. The path is ``$GOVCHAIN_ARTIFACTS`` if set, else ``.build/__local__.json``
in the current directory, else the one of the project checkout, else the copy shipped inside the
package (``govchain/abi/contracts.json``, written by :mod:`govchain.toolchain.abi_bundle`): an
installed wheel needs no checkout and no compiler.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govchain.errors import ErrorDecoder, GovchainError, NotFound
from govchain.toolchain.paths import PROJECT_ROOT

ENV_ARTIFACTS = "GOVCHAIN_ARTIFACTS"
MANIFEST_NAME = Path(".build") / "__local__.json"
#: The compiled contracts shipped as package data (same shape as ape's manifest).
PACKAGED = Path(__file__).resolve().parent / "abi" / "contracts.json"

ABI = list[dict[str, Any]]


class ArtifactsError(GovchainError):
    """The compiled manifest exists but cannot be read."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        super().__init__(f"compiled artifacts {path}: {reason}")


@dataclass(frozen=True)
class ContractArtifact:
    """One compiled contract type."""

    name: str
    abi: ABI
    bytecode: bytes  # deployment (init) code; empty for interfaces and abstract contracts
    runtime_bytecode: bytes

    @property
    def deployable(self) -> bool:
        return len(self.bytecode) > 0

    def errors(self) -> list[str]:
        return [str(e["name"]) for e in self.abi if e.get("type") == "error"]


def default_path() -> Path:
    env = os.environ.get(ENV_ARTIFACTS)
    if env:
        return Path(env)
    for candidate in (Path.cwd() / MANIFEST_NAME, PROJECT_ROOT / MANIFEST_NAME):
        if candidate.is_file():
            return candidate
    return PACKAGED


def _hex(value: Any) -> bytes:
    if isinstance(value, Mapping):
        value = value.get("bytecode")
    if not isinstance(value, str) or not value:
        return b""
    text = value[2:] if value.startswith("0x") else value
    return bytes.fromhex(text)


class Artifacts:
    """The contract types of one compiled manifest, by name."""

    def __init__(
        self,
        contracts: Mapping[str, ContractArtifact],
        compiler_version: str = "",
        path: Path | None = None,
    ) -> None:
        self._contracts = dict(contracts)
        self.compiler_version = compiler_version
        self.path = path

    @classmethod
    def load(cls, path: str | Path | None = None) -> Artifacts:
        target = Path(path) if path is not None else default_path()
        if not target.is_file():
            raise NotFound("compiled artifacts", target, "run 'ape compile' first")
        try:
            manifest = json.loads(target.read_text())
        except (OSError, ValueError) as exc:
            raise ArtifactsError(target, str(exc)) from exc
        return cls.from_manifest(manifest, target)

    @classmethod
    def from_manifest(cls, manifest: Mapping[str, Any], path: Path | None = None) -> Artifacts:
        types = manifest.get("contractTypes")
        if not isinstance(types, Mapping):
            raise ArtifactsError(path or Path("<manifest>"), "no contractTypes")
        contracts = {
            str(name): ContractArtifact(
                name=str(name),
                abi=list(entry.get("abi", [])),
                bytecode=_hex(entry.get("deploymentBytecode")),
                runtime_bytecode=_hex(entry.get("runtimeBytecode")),
            )
            for name, entry in types.items()
        }
        compilers = manifest.get("compilers") or []
        version = ",".join(sorted({str(c.get("version", "")) for c in compilers}))
        return cls(contracts, version, path)

    def __getitem__(self, name: str) -> ContractArtifact:
        try:
            return self._contracts[name]
        except KeyError:
            where = f" in {self.path}" if self.path else ""
            raise NotFound("contract type", name, f"not compiled{where}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._contracts

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._contracts))

    def names(self) -> list[str]:
        return sorted(self._contracts)

    def abi(self, name: str) -> ABI:
        return self[name].abi

    def bytecode(self, name: str) -> bytes:
        artifact = self[name]
        if not artifact.deployable:
            raise NotFound("deployment bytecode of", name, "an interface or abstract contract")
        return artifact.bytecode

    def all_abis(self) -> list[Sequence[Mapping[str, Any]]]:
        return [self._contracts[n].abi for n in sorted(self._contracts)]

    def error_decoder(self) -> ErrorDecoder:
        """A decoder that knows the custom errors of every compiled contract."""
        return ErrorDecoder(self.all_abis())


_cache: dict[tuple[Path, float], Artifacts] = {}


def load_artifacts(path: str | Path | None = None) -> Artifacts:
    """:meth:`Artifacts.load`, cached until the manifest file changes."""
    target = Path(path) if path is not None else default_path()
    try:
        key = (target.resolve(), target.stat().st_mtime)
    except OSError:
        return Artifacts.load(target)
    if key not in _cache:
        _cache[key] = Artifacts.load(target)
    return _cache[key]
