"""Errors the indexer raises on purpose, all under the SDK's root :class:`GovchainError`.

Exit codes (for the CLI): a bad query value or missing artifacts is the user's input (2);
a node that fails or a reorganisation is a refusal of the world as it is (1).
"""

from __future__ import annotations

from govchain.errors import EXIT_BAD_INPUT, EXIT_REFUSED, GovchainError


class IndexerError(GovchainError):
    """Root of every error the indexer raises on purpose (a bad value given to it: exit 2)."""

    exit_code = EXIT_BAD_INPUT


class ArtifactsMissing(IndexerError, LookupError):
    """The compiled manifest, or a contract type in it, is not there."""

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(f"compiled artifacts: {what} not found (run `ape compile`)")


class RpcError(IndexerError):
    """The node answered a JSON-RPC call with an error, or could not be reached."""

    exit_code = EXIT_REFUSED

    def __init__(self, method: str, code: int | None, detail: str) -> None:
        self.method = method
        self.code = code
        self.detail = detail
        super().__init__(f"{method} failed ({code}): {detail}")


class TooManyResults(RpcError):
    """``eth_getLogs`` refused the range as too large (too many logs, response too big, range cap)."""


class ReorgDetected(IndexerError):
    """A block already indexed is no longer on the chain: a reorganisation deeper than the
    configured confirmations. Rewind the index below `block` (``Indexer.rewind``) and sync again."""

    exit_code = EXIT_REFUSED

    def __init__(self, block: int, indexed_hash: str, chain_hash: str | None) -> None:
        self.block = block
        self.indexed_hash = indexed_hash
        self.chain_hash = chain_hash
        super().__init__(
            f"block {block} was indexed as {indexed_hash} but the chain now has {chain_hash}: "
            "a reorganisation deeper than the confirmations; rewind the index and sync again"
        )
