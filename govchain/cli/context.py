"""What every command shares: the root options, a lazily opened connection, keys and output."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from govchain.errors import ErrorDecoder, NotFound
from govchain.printable import printable

# web3, eth-account and the key store are imported by the methods that use them: the root
# command builds a CliContext for every command, including --help.
if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from govchain.keystore import Keystore
    from govchain.network import Connection
    from govchain.tx import BulkSender, Sender


@dataclass
class CliContext:
    """The root command's options; commands get it with ``@pass_cli``."""

    rpc: str | None = None
    home: Path | None = None
    json: bool = False
    key: str | None = None
    chain_id: int | None = None
    get: str | None = None
    _connection: Connection | None = field(default=None, repr=False)
    _account: LocalAccount | None = field(default=None, repr=False)

    @property
    def rpc_url(self) -> str:
        from govchain.settings import rpc_url

        return rpc_url(self.rpc)

    @property
    def state_home(self) -> Path:
        from govchain.settings import state_home

        return state_home(self.home)

    def connection(self) -> Connection:
        """The node (checked to answer, and to serve ``--chain-id`` if given)."""
        if self._connection is None:
            from govchain.network import Connection

            self._connection = Connection.open(self.rpc, self.home, self.chain_id)
        return self._connection

    def read(self, method: str, params: Sequence[Any] = ()) -> Any:
        """One JSON-RPC read over httpx, without web3 (which costs most of a command's
        start-up): for commands that need a value or two. Honours ``--chain-id``."""
        from govchain import httprpc
        from govchain.errors import NetworkUnavailable, WrongChain
        from govchain.settings import expected_chain_id, rpc_url

        url = rpc_url(self.rpc)
        if not url.startswith(("http://", "https://")):
            return self.connection().w3.provider.make_request(method, list(params))["result"]  # type: ignore[arg-type]
        expected = expected_chain_id(self.chain_id)
        try:
            if expected is not None:
                actual = int(httprpc.call(url, "eth_chainId"), 16)
                if actual != expected:
                    raise WrongChain(expected, actual, url)
            return httprpc.call(url, method, params)
        except httprpc.TRANSPORT_ERRORS as exc:
            raise NetworkUnavailable(url, httprpc.describe(exc)) from None
        except (httprpc.RpcReplyError, ValueError) as exc:
            raise NetworkUnavailable(url, f"not a JSON-RPC node ({exc})") from None

    def keystore(self) -> Keystore:
        from govchain.keystore import Keystore

        return Keystore(self.home)

    def key_name(self, purpose: str = "this command signs") -> str:
        if not self.key:
            raise click.UsageError(f"{purpose}: choose a key with --key NAME")
        return self.key

    def account(self) -> LocalAccount:
        """The ``--key`` account, decrypted with ``$GOVCHAIN_PASSPHRASE`` or a prompt."""
        if self._account is None:
            self._account = self.keystore().unlock(self.key_name())
        return self._account

    def decoder(self) -> ErrorDecoder:
        try:
            return self.connection().decoder()
        except NotFound:  # no compiled artifacts here: errors still render by selector
            return ErrorDecoder()

    def sender(self) -> Sender:
        from govchain.tx import Sender

        return Sender(self.connection().w3, self.account(), self.decoder())

    def bulk_sender(self, **options: Any) -> BulkSender:
        """A bulk sender for the --key account; pair with :func:`govchain.cli.progress.bulk_progress`:

        ``with bulk_progress(not obj.json) as bar: obj.bulk_sender(progress=bar).send(txs)``
        """
        from govchain.tx import BulkSender

        return BulkSender(self.connection().w3, self.account(), self.decoder(), **options)

    def emit(self, data: Any, text: str | Callable[[], str] | None = None) -> None:
        """Print ``data`` as JSON with ``--json``, else ``text`` (or ``data`` as plain lines),
        its control characters but line breaks shown escaped (:func:`printable`; JSON escapes
        them itself)."""
        if self.get is not None:
            value = _field(data, self.get)
            shown = value if isinstance(value, str) else json.dumps(value, default=str)
            click.echo(printable(shown, keep_newlines=True))
            return
        if self.json:
            click.echo(json.dumps(data, indent=2, default=str))
            return
        if callable(text):
            text = text()
        if text is None:
            text = _plain(data)
        click.echo(printable(text, keep_newlines=True))  # others' text in it: no ESC, no \r


def _field(data: Any, path: str) -> Any:
    """``data[a][b]`` for ``a.b``; list items by index (``entries.0.tx_hash``)."""
    value = data
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            fields = ", ".join(value) if isinstance(value, dict) else type(value).__name__
            raise click.UsageError(f"--get {path}: no field {part!r} (fields: {fields})")
    return value


def _plain(data: Any) -> str:
    if isinstance(data, dict):
        width = max((len(str(k)) for k in data), default=0)
        return "\n".join(f"{k!s:<{width}}  {v}" for k, v in data.items())
    if isinstance(data, list):
        return "\n".join(
            _plain(item) if not isinstance(item, dict) else "  ".join(str(v) for v in item.values())
            for item in data
        )
    return str(data)


pass_cli = click.make_pass_decorator(CliContext)
