"""``govchain chain``: the node and deployment in use, balances, plain transfers."""

from __future__ import annotations

from decimal import Decimal, localcontext
from typing import TYPE_CHECKING, Any

import click

from govchain import validate
from govchain.cli.context import CliContext, pass_cli
from govchain.cli.params import AMOUNT
from govchain.errors import NotFound

if TYPE_CHECKING:
    from eth_typing import ChecksumAddress

# web3 is imported by the commands that need it: `chain balance` is one JSON-RPC call over
# httpx, and pays for no more than that at start-up.


@click.group("chain")
def group() -> None:
    """The network in use: node, deployment, balances."""


def _account_address(obj: CliContext, who: str) -> ChecksumAddress:
    """An address, or the address of a keystore name."""
    if who.startswith(("0x", "0X")):
        return validate.address(who)
    return obj.keystore().show(validate.name(who, "address or key name")).address


def _ether(wei: int) -> Decimal | int:
    """``wei`` in ether, exact (``eth_utils.from_wei(wei, "ether")`` without importing
    eth_utils, which costs this one-call command ~0.2 s)."""
    if wei == 0:
        return 0
    with localcontext() as context:
        context.prec = 999
        return Decimal(wei) / Decimal(10**18)


@group.command("info")
@pass_cli
def info(obj: CliContext) -> None:
    """Node, chain id, latest block, fees and the deployment of this chain."""
    from govchain.network import fee_fields, manifest_path, read_deployment

    connection = obj.connection()
    w3 = connection.w3
    block = w3.eth.get_block("latest")
    fees = fee_fields(w3)
    data: dict[str, Any] = {
        "rpc": connection.url,
        "chain_id": connection.chain_id,
        "block": int(block["number"]),
        "base_fee": block.get("baseFeePerGas"),
        "zero_fee": fees.get("gasPrice") == 0,
        "manifest": str(manifest_path(connection.chain_id, obj.home)),
        "contracts": {},
    }
    try:
        deployment = read_deployment(connection.chain_id, obj.home)
        data["contracts"] = {n: c.address for n, c in deployment.contracts.items()}
        data["deploy_block"] = deployment.deploy_block
    except NotFound:
        data["manifest"] = None

    def text() -> str:
        lines = [
            f"rpc        {data['rpc']}",
            f"chain id   {data['chain_id']}" + ("  (zero fee)" if data["zero_fee"] else ""),
            f"block      {data['block']}",
        ]
        if data["manifest"] is None:
            lines.append("deployment none (run 'govchain deploy')")
        else:
            lines += [f"contract   {n} {a}" for n, a in data["contracts"].items()]
        return "\n".join(lines)

    obj.emit(data, text)


@group.command("balance")
@click.argument("who", metavar="ADDRESS|KEY")
@pass_cli
def balance(obj: CliContext, who: str) -> None:
    """Balance of an address or of a keystore's account."""
    address = _account_address(obj, who)
    wei = int(obj.read("eth_getBalance", [address, "latest"]), 16)
    ether = _ether(wei)
    obj.emit({"address": address, "wei": wei, "ether": str(ether)}, f"{address} {ether} ether")


@group.command("transfer")
@click.argument("to", metavar="ADDRESS|KEY")
@click.argument("amount", type=AMOUNT)
@pass_cli
def transfer(obj: CliContext, to: str, amount: int) -> None:
    """Send AMOUNT (e.g. 1.5ether, 20gwei, 1000) from the --key account to an address or key."""
    from web3.types import Wei

    target = _account_address(obj, to)
    sender = obj.sender()
    receipt = sender.send({"to": target, "value": Wei(amount)})
    data = {
        "from": sender.address,
        "to": target,
        "wei": amount,
        "tx_hash": receipt["transactionHash"].to_0x_hex(),
        "block": receipt["blockNumber"],
    }
    obj.emit(data, f"sent {amount} wei to {target} in {data['tx_hash']} (block {data['block']})")
