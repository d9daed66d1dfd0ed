"""``govchain council review``: the departments awaiting admission, and approving chosen ones.

Each Proposed department is listed with what it asks for: name, region, endpoint, first ADMIN,
the open admission proposal and its approvals, and — when the department sent its application
document (``<home>/applications/*.json`` or ``--application FILE``) and its hash equals the
metadata hash it proposed with — the member keys and catalog entries it will register.
``--approve CODE`` moves an admission on as the --key member: proposes it (the first
approval), or approves it, and executes it once it has enough approvals.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from govchain.cli.context import CliContext, pass_cli
from govchain.cli.identity_params import DEPARTMENT
from govchain.errors import InvalidInput
from govchain.files import read_json
from govchain.identity.admission import Admission, approve_admission, pending_admissions
from govchain.identity.application import document_hash
from govchain.identity.base import code_text
from govchain.identity.council import Council

parent = "council"


def _documents(obj: CliContext, files: tuple[Path, ...]) -> dict[bytes, Mapping[str, Any]]:
    folder = obj.state_home / "applications"
    found = sorted(folder.glob("*.json")) if folder.is_dir() else []
    docs: dict[bytes, Mapping[str, Any]] = {}
    for path in [*found, *files]:
        try:
            data = read_json(path, "application", fractions=True)
        except InvalidInput as exc:
            if path in files:
                raise InvalidInput("application", str(path), f"unreadable ({exc.reason})") from None
            continue
        docs[document_hash(data)] = data
    return docs


def _admission_text(a: Admission) -> str:
    lines = [f"{a.code}  {a.name}  region {a.region}  admin {a.admin or '-'}"]
    lines.append(f"  endpoint     {a.endpoint or '-'}")
    p = a.proposal
    if p is None:
        lines.append("  admission    no proposal yet")
    else:
        who = ", ".join(p.approvers) or "nobody"
        lines.append(
            f"  admission    proposal 0x{p.id.hex()} {p.state} {p.approvals}/{p.threshold} "
            f"(approved by {who})"
        )
    meta = "0x" + a.metadata_hash.hex()
    if a.document is None:
        lines.append(
            f"  application  not supplied (metadata {meta}); ask {a.code} for its file and "
            "pass --application FILE"
        )
        return "\n".join(lines)
    lines.append(f"  application  matches its metadata hash {meta}")
    for m in a.document.get("members", []):
        lines.append(f"    member     {m['address']} {','.join(m['roles'])}")
    for c in a.document.get("catalog", []):
        flag = " sensitive" if c.get("sensitive") else ""
        lines.append(f"    catalog    {c['code']} {c['sharing']}{flag}")
    return "\n".join(lines)


@click.command("review")
@click.option(
    "--approve",
    "approve",
    type=DEPARTMENT,
    multiple=True,
    metavar="CODE",
    help="approve the admission of department CODE as the --key member (repeatable)",
)
@click.option(
    "--application",
    "applications",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    multiple=True,
    help="an application document a department sent (repeatable)",
)
@pass_cli
def group(obj: CliContext, approve: tuple[bytes, ...], applications: tuple[Path, ...]) -> None:
    """Departments awaiting admission and what each asks for; --approve CODE approves one."""
    council = Council(obj.connection(), obj.sender() if approve else None)
    approved: list[dict[str, Any]] = []
    for code in approve:
        steps = approve_admission(council, code)
        approved.append({"code": code_text(code), "steps": [s.as_dict() for s in steps]})
    pending = pending_admissions(council, _documents(obj, applications))

    def text() -> str:
        lines = []
        for item in approved:
            for s in item["steps"]:
                tx = f" (tx {s['tx']})" if s["tx"] else ""
                lines.append(f"{item['code']}: {s['state']} {s['step']}: {s['detail']}{tx}")
        if pending:
            lines += [_admission_text(a) for a in pending]
        else:
            lines.append("no departments awaiting admission")
        return "\n".join(lines)

    obj.emit({"approved": approved, "pending": [a.as_dict() for a in pending]}, text)
