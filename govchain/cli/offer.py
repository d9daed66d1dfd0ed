"""``govchain offer``: a department's proactive services (免申即享) — register a service (its
approvers sign, anyone relays), list them, and run the eligibility watcher that offers them
privately through the department's data node and relays the acceptances citizens sign."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click

from govchain import validate
from govchain.approval.cases import code_text
from govchain.approval.messages import SignerSignature
from govchain.cli.case import parse_when
from govchain.cli.context import CliContext, pass_cli
from govchain.cli.params import ADDRESS, BYTES32
from govchain.cli.sharing_params import DEPARTMENT
from govchain.deploy import department_code
from govchain.errors import InvalidInput
from govchain.printable import printable
from govchain.services.catalog import Catalog
from govchain.services.rules import name_code, rule_id
from govchain.services.signed_files import SignedFileFormat

SIGNED_FORMAT = "govchain.service.change/3"
OLD_SIGNED_FORMATS = {
    "govchain.service.change/1": "signed before services had a validity",
    "govchain.service.change/2": "signed before service messages named their signer",
}
SERVICE_CHANGE_FILE = SignedFileFormat(
    SIGNED_FORMAT, "signed service change file", "govchain offer sign", OLD_SIGNED_FORMATS
)


def _name(text: str) -> bytes:
    try:
        return name_code(text)
    except ValueError as exc:
        raise InvalidInput("name", text, str(exc)) from None


def _dept_of_key(obj: CliContext, dept: str | None, wallet: str | None = None) -> bytes:
    if dept is not None:
        return department_code(dept)
    from govchain.approval.reader import CaseReader

    found = CaseReader(obj.connection()).department_of(wallet or obj.account().address)
    if found is None:
        raise InvalidInput("key", obj.account().address, "is no department's member; give --dept")
    return found


@click.group("offer")
def group() -> None:
    """Proactive services (免申即享): register services, watch for who qualifies, relay."""


@group.command("sign")
@click.argument("name")
@click.option("--rule", "rule", help="the department's rule NAME deciding who qualifies")
@click.option("--benefit", type=BYTES32, help="the attestation schema the service grants")
@click.option(
    "--valid-for",
    "valid_for",
    metavar="DURATION",
    help="how long a benefit the rule alone grants stays valid (365d, 52w; default: no limit)",
)
@click.option("--retire", is_flag=True, help="sign the retirement of the current version")
@click.option(
    "--wallet",
    type=ADDRESS,
    help="sign for this ERC-1271 wallet (the APPROVER) that accepts the key's signature",
)
@click.option("--dept", type=DEPARTMENT, help="the service's department (default: the signer's)")
@click.option("--deadline", metavar="WHEN", default="1d", show_default=True)
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_cli
def sign(
    obj: CliContext,
    name: str,
    rule: str | None,
    benefit: bytes | None,
    valid_for: str | None,
    retire: bool,
    wallet: str | None,
    dept: str | None,
    deadline: str,
    out: Path,
) -> None:
    """Sign, as an APPROVER (--key), service NAME's next version (--rule, --benefit) or its
    retirement (--retire): no transaction; writes the signed change to --out. A benefit that
    the rule alone grants expires --valid-for after it is issued (the case's opener can only
    choose an earlier expiry). With --wallet the key signs for that approver wallet."""
    code = _dept_of_key(obj, dept, wallet)
    if not retire and (rule is None or benefit is None):
        raise click.UsageError("a registration needs --rule and --benefit (or give --retire)")
    catalog = Catalog(obj.connection())
    seconds = 0
    if valid_for is not None and not retire:
        from govchain.cli.identity_params import parse_duration

        parsed = parse_duration(valid_for)
        if not parsed or parsed > catalog.max_validity():
            raise InvalidInput(
                "--valid-for", valid_for, "expected a duration of up to 100 years, e.g. 365d or 52w"
            )
        seconds = parsed
    until = parse_when(deadline, int(obj.connection().w3.eth.get_block("latest")["timestamp"]))
    rid = None if retire or rule is None else rule_id(code, _name(rule))
    # a retirement names the version it saw in force (it also ends one registered after: R-3)
    version = catalog.version_of(code, _name(name)) + (0 if retire else 1)
    signed = catalog.sign(
        obj.account(),
        code,
        _name(name),
        until,
        rid,
        None if retire else benefit,
        seconds,
        wallet,
        version if retire else None,
    )
    document = {
        "format": SIGNED_FORMAT,
        "department": code_text(code),
        "name": name,
        "version": version,
        "deadline": until,
        "rule_id": None if rid is None else "0x" + rid.hex(),
        "benefit": None if retire or benefit is None else "0x" + benefit.hex(),
        "valid_for_seconds": 0 if retire else seconds,
        "signer": signed.signer,
        "signature": "0x" + signed.signature.hex(),
    }
    try:
        out.write_text(json.dumps(document, indent=2) + "\n")
    except OSError as exc:
        raise InvalidInput("output file", str(out), exc.strerror or str(exc)) from None
    obj.emit({"file": str(out), **document}, f"{signed.signer} signed service {name} -> {out}")


def _checked(data: dict[str, Any]) -> dict[str, Any]:
    validate.address(data["signer"])
    missing = [k for k in ("department", "name", "deadline", "rule_id", "benefit") if k not in data]
    if missing:
        raise ValueError(f"no {missing[0]} field")
    if not isinstance(data["valid_for_seconds"], int) or data["valid_for_seconds"] < 0:
        raise ValueError("valid_for_seconds is not a number of seconds")
    version = data.get("version")  # absent from files signed before R-3's fix
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise ValueError("version is not a number")
    if not isinstance(data["deadline"], int) or isinstance(data["deadline"], bool):
        raise ValueError("deadline is not a number of seconds")
    if not isinstance(data["department"], str) or not isinstance(data["name"], str):
        raise ValueError("department and name are not text")
    validate.hex_bytes(data["signature"], None, "signature")  # register reads them as hex
    for key in ("rule_id", "benefit"):
        if data[key] is not None:
            validate.bytes32(data[key], key)
    return data


def _load(path: Path) -> dict[str, Any]:
    return SERVICE_CHANGE_FILE.load(path, _checked)


@group.command("register")
@click.argument(
    "files", metavar="SIGFILE...", nargs=-1, required=True, type=click.Path(path_type=Path)
)
@pass_cli
def register(obj: CliContext, files: tuple[Path, ...]) -> None:
    """Relay approvers' signed changes of one service (a registration or a retirement)."""
    docs = [_load(f) for f in files]
    first = docs[0]
    keys = ("department", "name", "version", "deadline", "rule_id", "benefit", "valid_for_seconds")
    for path, d in zip(files, docs, strict=True):
        if tuple(d.get(k) for k in keys) != tuple(first.get(k) for k in keys):
            raise InvalidInput("signed service change file", str(path), "signs another change")
    code, name = department_code(first["department"]), _name(first["name"])
    sigs = [SignerSignature(d["signer"], bytes.fromhex(d["signature"][2:])) for d in docs]
    rid = None if first["rule_id"] is None else bytes.fromhex(first["rule_id"][2:])
    benefit = None if first["benefit"] is None else bytes.fromhex(first["benefit"][2:])
    catalog = Catalog(obj.connection(), obj.sender())
    valid_for = int(first["valid_for_seconds"])
    receipt = catalog.relay(
        code, name, int(first["deadline"]), sigs, rid, benefit, valid_for, first.get("version")
    )
    state = catalog.service(code, name).as_dict()
    tx = receipt["transactionHash"].to_0x_hex()
    obj.emit(
        {"tx_hash": tx, "block": int(receipt["blockNumber"]), **state},
        f"service {state['department']}/{state['name']} v{state['version']} "
        f"{'in force' if state['in_force'] else 'retired'} ({tx})",
    )


@group.command("list")
@click.option("--dept", type=DEPARTMENT, help="only this department's services")
@pass_cli
def list_(obj: CliContext, dept: str | None) -> None:
    """The registered services: department, name, rule, benefit schema, version, in force."""
    code = None if dept is None else department_code(dept)
    rows = [s.as_dict() for s in Catalog(obj.connection()).services(code)]

    def text() -> str:
        if not rows:
            return "no services registered"
        return "\n".join(
            f"{r['department']}/{r['name']} v{r['version']} "
            f"({'in force' if r['in_force'] else 'retired'}) rule {r['rule_id'][:10]}… "
            f"benefit {r['benefit'][:10]}…"
            + (f" valid {r['valid_for_seconds'] // 86400}d" if r["valid_for_seconds"] else "")
            for r in rows
        )

    obj.emit(rows, text)


@group.command("watch")
@click.option("--store", "store", required=True, metavar="URL|FILE", help="the data node's store")
@click.option("--db", "db", metavar="URL|FILE", help="index database [default: the CLI's index]")
@click.option("--follow", is_flag=True, help="keep watching until interrupted")
@click.option("--interval", type=float, default=10.0, show_default=True, help="seconds per round")
@pass_cli
def watch(obj: CliContext, store: str, db: str | None, follow: bool, interval: float) -> None:
    """Sync the index, offer the --key's department's services to who newly qualifies (sealed
    to her key in the node's store; nothing on chain), and relay the signed acceptances
    (--key, a STAFF member, pays). Re-runs are no-ops; a crash loses and duplicates nothing."""
    # the index, the offer box (SQLAlchemy) and the watcher (ECIES) only for this command
    from govchain.cli.index import index_target, make_indexer, sync_index
    from govchain.indexer import database_url, open_database
    from govchain.services.offerbox import OfferBox
    from govchain.services.watcher import Watcher

    connection = obj.connection()
    code = _dept_of_key(obj, None)
    engine = open_database(index_target(obj, db))  # created on the first run
    box = OfferBox(database_url(store))
    watcher = Watcher(connection, engine, box, code, obj.sender())
    indexer = make_indexer(obj, engine)
    named: set[str] = set()  # unconfirmed citizens this run has named (text output)
    while True:
        try:
            sync_index(obj, indexer)
            report = watcher.watch().as_dict()
            relayed = watcher.relay().as_dict()
        except Exception as exc:  # --follow outlives a failed round (the chain or store away)
            if not follow:
                raise
            one_line = " ".join(str(exc).split())[:300]
            said = printable(f"this round failed ({type(exc).__name__}: {one_line})")
            click.echo(f"error: {said}", err=True)
            time.sleep(interval)
            continue
        data = {"department": code_text(code), **report, **relayed}
        errors = f", {len(report['errors'])} passed over" if report["errors"] else ""
        unconfirmed = report["unconfirmed"]
        doubts = f", {len(unconfirmed)} not confirmed by the chain" if unconfirmed else ""
        # each named once per run: --follow repeats a round every few seconds into a log
        new = [line for line in unconfirmed if line not in named]
        named.update(new)
        obj.emit(
            data,
            f"{code_text(code)}: {report['services']} services, {report['offered']} new offers, "
            f"{len(relayed['accepted'])} accepted, {len(relayed['refused'])} refused"
            f"{errors}{doubts}" + "".join(f"\n  not confirmed: {line}" for line in new),
        )
        if not follow:
            return
        time.sleep(interval)
