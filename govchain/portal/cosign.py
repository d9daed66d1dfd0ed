"""Multi-approver steps decided by signatures collected across approvers' portals.

A step whose threshold is k > 1 needs k approvers' EIP-712 ``Decision`` signatures. Each
approver's portal signs the step's one decision for keys (the SDK's :meth:`Cases.sign`) and
drops the ``govchain.approval.decision/3`` document into a folder the department's approvers
share (``--signatures DIR``: a network share or a synced folder). Every approver's case page
reads the folder back, keeps only signatures that are for this case's open step on this chain
and contract, recover to the signer the file states and come from an active APPROVER of the
step's department, and groups them by the exact message signed (verdict, comment commitment,
deadline: all keys of a group sign one digest). Older files (``/1``, ``/2``) are ignored. Once
a group holds k, any of the approvers' portals submits them in one ``submitDecisions``
transaction. The folder is not trusted: a forged, stale or foreign file is
ignored, and the contract checks every signature again.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eth_utils.crypto import keccak
from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from govchain.approval.cases import Cases, CaseState
from govchain.approval.decisions import SignedDecision
from govchain.errors import ChainRefused, GovchainError, InvalidInput, NotFound
from govchain.portal.backend import ROLE_APPROVER, Backend, Roles
from govchain.portal.web import Forbidden
from govchain.sharing.base import Departments
from govchain.validate import bytes32

if TYPE_CHECKING:
    from govchain.portal.web import Portal


def file_name(signed: SignedDecision) -> str:
    return f"0x{signed.case_id.hex()}-{signed.step}-{signed.signer}.json"


def keep(folder: Path, signed: SignedDecision) -> Path:
    """Drop one approver's signed decision into the shared folder (replacing their earlier one
    for the same step)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file_name(signed)
    partial = path.with_suffix(".part")
    partial.write_text(signed.to_json(), encoding="utf-8")
    partial.replace(path)  # readers never see half a file
    return path


@dataclass(frozen=True)
class Group:
    """Signatures of one and the same decision (verdict, comment commitment, deadline) for the
    open step: one digest, signed by each signer's key."""

    digest: str  # the group's key: what the signers agree on, hashed
    approve: bool
    comment_hash: str
    decisions: tuple[SignedDecision, ...]

    @property
    def signers(self) -> list[str]:
        return [d.signer for d in self.decisions]


def collected(
    backend: Backend, cases: Cases, state: CaseState, unreadable: list[str] | None = None
) -> list[Group]:
    """The valid signatures in the shared folder for ``state``'s open step, grouped; the names
    of its files that are not signed decisions at all (not JSON, nested past the parser's limit,
    misshapen) are added to ``unreadable``, for the page to name."""
    folder = backend.config.signatures
    if folder is None or not state.is_open:
        return []
    step = state.open_step
    members = Departments(backend.connection())
    contract = (cases.connection.chain_id, cases.address)
    groups: dict[str, list[SignedDecision]] = {}
    for path in sorted(folder.glob(f"0x{state.case_id.hex()}-{state.current_step}-*.json")):
        try:
            signed = SignedDecision.load(path)  # read_json: nested or not JSON is InvalidInput
        except InvalidInput:
            if unreadable is not None:
                unreadable.append(path.name)
            continue
        if (signed.chain_id, signed.contract) != contract or signed.erc1271:
            continue
        if signed.case_id != state.case_id or signed.step != state.current_step:
            continue
        if signed.recovered() != signed.signer:
            continue
        with contextlib.suppress(GovchainError, ValueError):
            if members.is_active_member(signed.signer, step.department, ROLE_APPROVER):
                groups.setdefault(_agreed(signed), []).append(signed)
    out = []
    for digest, found in groups.items():
        first = found[0]
        unique = {d.signer: d for d in found}  # one signature per signer
        out.append(
            Group(digest, first.approve, "0x" + first.comment_hash.hex(), tuple(unique.values()))
        )
    return sorted(out, key=lambda g: -len(g.decisions))


def _agreed(signed: SignedDecision) -> str:
    """What signatures must share to be submitted together, as one key."""
    return (
        "0x"
        + keccak(text=f"{int(signed.approve)}:{signed.comment_hash.hex()}:{signed.deadline}").hex()
    )


def context(
    backend: Backend, cases: Cases, state: CaseState, names: dict[str, str]
) -> dict[str, Any]:
    """What the case page shows of the collection (empty without ``--signatures``)."""
    if backend.config.signatures is None or not state.is_open:
        return {"collecting": False, "collected": [], "i_signed": False, "unreadable": []}
    threshold = state.open_step.threshold
    unreadable: list[str] = []
    groups = collected(backend, cases, state, unreadable)
    return {
        "unreadable": unreadable,
        "collecting": threshold > 1,
        "collected": [
            {
                "digest": g.digest,
                "approve": g.approve,
                "signers": [(s, names.get(s, "")) for s in g.signers],
                "count": len(g.decisions),
                "ready": len(g.decisions) >= threshold,
            }
            for g in groups
        ],
        "i_signed": any(backend.address in g.signers for g in groups),
    }


def register(app: FastAPI, portal: Portal) -> None:
    backend = portal.backend

    @app.post("/dept/cases/{case}/submit-collected", response_class=HTMLResponse)
    def submit(
        request: Request, case: str, csrf: str = Form(""), digest: str = Form("")
    ) -> Response:
        account = portal.account(request)
        portal.check_csrf(request, csrf)
        _problems, roles = portal.page_state(request)
        if roles is None or not roles.has(ROLE_APPROVER) or roles.department is None:
            raise Forbidden()
        try:
            case_id = bytes32(case, "case id")
            cases = Cases(backend.connection())
            state = cases.state(case_id)
        except (InvalidInput, NotFound):
            return portal.render(request, "message.html", {"message": "error.not_found"}, 404)
        if not state.is_open or state.open_step.department != _code(roles):
            raise Forbidden()
        chosen = [g for g in collected(backend, cases, state) if g.digest == digest]
        if not chosen or len(chosen[0].decisions) < state.open_step.threshold:
            return RedirectResponse(f"/dept/cases/{case}", 303)  # not (or no longer) ready
        try:
            sent = Cases(backend.connection(), backend.sender(account)).submit(
                case_id, chosen[0].decisions
            )
        except (ChainRefused, InvalidInput) as exc:
            return portal.render(request, "message.html", {"detail": str(exc)}, 400)
        return RedirectResponse(f"/dept/cases/{case}?done={sent.tx_hash}", 303)


def _code(roles: Roles) -> bytes:
    return (roles.department or "").encode().ljust(32, b"\0")
