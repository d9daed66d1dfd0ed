"""``govchain rule``: rules that decide case steps without signatures (秒批).

An APPROVER signs a rule change (``sign``, no transaction); anyone relays the department's
approvers' signatures (``register`` / ``retire``); ``list`` and ``show`` read the registry;
``decide`` decides a case's open RULE steps with the applicant's attestations.

A requirements file is a JSON list: ``[{"schema": "0x…", "departments": ["PSB"],
"max_age": "365d"}, …]`` (``max_age`` in seconds or as ``30d``/``12h``/``2w``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import click

from govchain.approval.cases import code_text
from govchain.cli.case import parse_when
from govchain.cli.context import CliContext, pass_cli
from govchain.cli.params import ADDRESS, BYTES32
from govchain.cli.sharing_params import DEPARTMENT
from govchain.deploy import department_code
from govchain.errors import InvalidInput
from govchain.files import read_json
from govchain.services.rulebook import Rulebook, SignedRuleChange
from govchain.services.rules import Requirement, name_code, rule_id

_AGE = re.compile(r"^(\d+)([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _name(text: str) -> bytes:
    try:
        return name_code(text)
    except ValueError as exc:
        raise InvalidInput("rule name", text, str(exc).split(": ", 1)[-1]) from None


def _age(value: Any, where: str) -> int:
    text = str(value).strip()
    if text.isdigit() and int(text) > 0:
        return int(text)
    match = _AGE.match(text)
    if match and int(match.group(1)) > 0:
        return int(match.group(1)) * _UNITS[match.group(2)]
    raise InvalidInput("max_age", f"{where}: {value}", "seconds above 0, or 30d, 12h, 2w")


def _schema(value: Any, where: str) -> bytes:
    text = str(value)
    try:
        raw = bytes.fromhex(text.removeprefix("0x"))
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise InvalidInput("schema", f"{where}: {text}", "a 32-byte schema uid (0x + 64 hex)")
    return raw


def load_requirements(path: Path) -> list[Requirement]:
    """Requirements from a JSON file (see the module's docstring)."""
    data = read_json(path, "requirements file", expect=list)
    if not data:
        raise InvalidInput("requirements file", str(path), "expected a non-empty JSON list")
    out = []
    for i, item in enumerate(data):
        where = f"requirement {i}"
        if not isinstance(item, dict) or not {"schema", "departments", "max_age"} <= set(item):
            raise InvalidInput(
                "requirements file", str(path), f"{where}: needs schema, departments, max_age"
            )
        depts = item["departments"]
        if not isinstance(depts, list) or not depts:
            raise InvalidInput(
                "requirements file", str(path), f"{where}: name at least one department"
            )
        out.append(
            Requirement(
                _schema(item["schema"], where),
                _age(item["max_age"], where),
                tuple(department_code(str(d)) for d in depts),
            )
        )
    return out


def _book(obj: CliContext, signing: bool = False) -> Rulebook:
    return Rulebook(obj.connection(), obj.sender() if signing else None)


def _dept_of_key(
    obj: CliContext, book: Rulebook, dept: str | None, wallet: str | None = None
) -> bytes:
    if dept is not None:
        return department_code(dept)
    found = book.cases.department_of(wallet or obj.account().address)
    if found is None:
        raise InvalidInput("key", obj.account().address, "is no department's member; give --dept")
    return found


def _text(state: dict[str, Any]) -> str:
    lines = [
        f"rule {state['department']}/{state['name']} v{state['version']} "
        f"({'in force' if state['in_force'] else 'retired'}) {state['rule_id']}"
    ]
    for i, r in enumerate(state["requirements"]):
        depts = ", ".join(code_text(bytes.fromhex(d[2:])) for d in r["departments"])
        lines.append(f"  {i}: schema {r['schema']} from {depts}, at most {r['max_age']} s old")
    return "\n".join(lines)


@click.group("rule")
def group() -> None:
    """Rules that decide case steps from attestations (秒批)."""


@group.command("sign")
@click.argument("action", type=click.Choice(["register", "retire"]))
@click.argument("name")
@click.option(
    "--requirements",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON list of requirements (register)",
)
@click.option(
    "--wallet",
    type=ADDRESS,
    help="sign for this ERC-1271 wallet (the APPROVER) that accepts the key's signature",
)
@click.option("--dept", type=DEPARTMENT, help="the rule's department (default: the signer's)")
@click.option(
    "--deadline", metavar="WHEN", default="1d", show_default=True, help="signature deadline"
)
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), help="write here")
@pass_cli
def sign(
    obj: CliContext,
    action: str,
    name: str,
    requirements: Path | None,
    wallet: str | None,
    dept: str | None,
    deadline: str,
    out: Path | None,
) -> None:
    """Sign, as an APPROVER (--key), the registration of rule NAME's next version or the
    retirement of its current one: no transaction; prints the signed change (or writes --out).
    With --wallet the key signs for that approver wallet."""
    book = _book(obj)
    code = _dept_of_key(obj, book, dept, wallet)
    if action == "register" and requirements is None:
        raise click.UsageError("register needs --requirements FILE")
    reqs = load_requirements(requirements) if requirements is not None else []
    until = parse_when(deadline, book.cases.now())
    signed = book.sign(obj.account(), action, code, _name(name), until, reqs, wallet=wallet)
    document = json.dumps(signed.as_dict(), indent=2) + "\n"
    if out is None:
        click.echo(document, nl=False)
        return
    try:
        out.write_text(document)
    except OSError as exc:
        raise InvalidInput("output file", str(out), exc.strerror or str(exc)) from None
    obj.emit(
        {"file": str(out), **signed.as_dict()},
        f"{signed.signer} signed {action} of rule {code_text(code)}/{name} "
        f"v{signed.version} -> {out}",
    )


def _relay(obj: CliContext, files: tuple[Path, ...], action: str) -> None:
    changes = [SignedRuleChange.load(f) for f in files]
    for path, c in zip(files, changes, strict=True):
        if c.action != action:
            raise InvalidInput("signed rule change file", str(path), f"it signs a {c.action}")
    book = _book(obj, signing=True)
    receipt = book.relay(changes)
    state = book.rule(changes[0].department, changes[0].name).as_dict()
    tx = receipt["transactionHash"].to_0x_hex()
    obj.emit(
        {"tx_hash": tx, "block": int(receipt["blockNumber"]), **state},
        f"rule {state['department']}/{state['name']} v{state['version']} "
        f"{'registered' if action == 'register' else 'retired'} in {tx}",
    )


@group.command("register")
@click.argument(
    "files", metavar="SIGFILE...", nargs=-1, required=True, type=click.Path(path_type=Path)
)
@pass_cli
def register(obj: CliContext, files: tuple[Path, ...]) -> None:
    """Relay approvers' signed registrations of one rule version (anyone; --key pays)."""
    _relay(obj, files, "register")


@group.command("retire")
@click.argument(
    "files", metavar="SIGFILE...", nargs=-1, required=True, type=click.Path(path_type=Path)
)
@pass_cli
def retire(obj: CliContext, files: tuple[Path, ...]) -> None:
    """Relay approvers' signed retirements of a rule's current version (anyone; --key pays)."""
    _relay(obj, files, "retire")


@group.command("list")
@click.option("--dept", type=DEPARTMENT, help="only this department's rules")
@pass_cli
def list_rules(obj: CliContext, dept: str | None) -> None:
    """Every rule line, with its current version and whether it is in force."""
    rules = [r.as_dict() for r in _book(obj).rules(department_code(dept) if dept else None)]
    obj.emit(
        rules,
        lambda: (
            "\n".join(
                f"{r['department']}/{r['name']}  v{r['version']}  "
                f"{'in force' if r['in_force'] else 'retired'}  {len(r['requirements'])} requirements"
                for r in rules
            )
            or "no rules"
        ),
    )


@group.command("show")
@click.argument("name")
@click.option("--dept", type=DEPARTMENT, required=True, help="the rule's department")
@pass_cli
def show(obj: CliContext, name: str, dept: str) -> None:
    """Rule NAME of --dept: id, current version, requirements."""
    state = _book(obj).rule(department_code(dept), _name(name)).as_dict()
    obj.emit(state, lambda: _text(state))


@group.command("apply")
@click.argument("name")
@click.option("--citizen", type=ADDRESS, required=True, help="the applicant's identity address")
@click.option(
    "--dept", type=DEPARTMENT, help="the rule's and accepting department (default: the --key's)"
)
@click.option(
    "--schema",
    type=BYTES32,
    help="the benefit the case issues when approved: a service of the department in force "
    "must grant it on this rule (govchain offer sign)",
)
@click.option("--documents-hash", type=BYTES32, help="the documents' Merkle root (default: none)")
@pass_cli
def apply(
    obj: CliContext,
    name: str,
    citizen: str,
    dept: str | None,
    schema: bytes | None,
    documents_hash: bytes | None,
) -> None:
    """Open a case for --citizen decided by rule NAME in the same transaction (秒批), issuing
    --schema if given; the evidence is the citizen's attestations (STAFF --key pays)."""
    book = _book(obj, signing=True)
    code = _dept_of_key(obj, book, dept)
    rid = rule_id(code, _name(name))
    case_id, receipt = book.open_by_rule(
        citizen, [rid], code, schema=schema or b"\0" * 32, documents_hash=documents_hash
    )
    state = book.cases.state(case_id, history=False)
    tx = receipt["transactionHash"].to_0x_hex()
    status = state.status.name.lower()
    data = {
        "case_id": "0x" + case_id.hex(),
        "tx_hash": tx,
        "block": int(receipt["blockNumber"]),
        "status": status,
        "attestation": "0x" + state.outcome.hex() if schema is not None else None,
    }
    obj.emit(data, f"case 0x{case_id.hex()} opened and {status} by rule {name} in {tx}")


@group.command("decide")
@click.argument("case_id", metavar="CASE", type=BYTES32)
@pass_cli
def decide(obj: CliContext, case_id: bytes) -> None:
    """Decide CASE's open RULE steps with the applicant's attestations (anyone; --key pays)."""
    book = _book(obj, signing=True)
    receipt = book.decide(case_id)
    state = book.cases.state(case_id, history=False)
    tx = receipt["transactionHash"].to_0x_hex()
    status = state.status.name.lower()
    obj.emit(
        {"tx_hash": tx, "block": int(receipt["blockNumber"]), "status": status},
        f"RULE steps of case 0x{case_id.hex()} decided in {tx}; case is {status}",
    )
