"""Personal data space: which departments hold anchored records about me; fetch, decrypt,
verify one against its anchor.

Each department with a registered node is asked (a request signed by the unlocked key) which
records it holds about the key's identity; every record's anchor is checked on chain before it
is listed. A node that does not answer puts a banner naming it and the others are still listed.
Fetching a record signs a subject request, the node answers encrypted to the key, and the
portal decrypts it here and accepts it only if it matches its on-chain anchor.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, Response

from govchain.errors import GovchainError, InvalidInput
from govchain.node.chain import ChainAddresses, RpcChain
from govchain.node.client import CitizenClient
from govchain.portal.backend import Problem
from govchain.sharing.base import code_name
from govchain.timefmt import iso
from govchain.validate import bytes32

if TYPE_CHECKING:
    from govchain.portal.web import Portal

DEPARTMENT_ACTIVE = 2


def register(app: FastAPI, portal: Portal) -> None:
    backend = portal.backend

    def client(request: Request) -> CitizenClient:
        connection = backend.connection()
        addresses = ChainAddresses.from_names(
            {n: c.address for n, c in connection.deployment.contracts.items()}
        )
        chain = RpcChain(connection.url, addresses, chain_id=connection.chain_id)
        return CitizenClient(chain, portal.account(request))

    @app.get("/me/data", response_class=HTMLResponse)
    def data_space(request: Request) -> Response:
        portal.account(request)
        problems, roles = portal.page_state(request)
        holdings: list[dict[str, Any]] = []
        if not any(p.what == "chain" for p in problems):
            me = client(request)
            for dept in me.departments():
                if dept.status != DEPARTMENT_ACTIVE or not dept.endpoint:
                    continue
                code = code_name(dept.code)
                try:
                    records = me.list_records(dept.endpoint, dept.code)
                except GovchainError as exc:
                    problems.append(Problem(f"node {code}", f"{dept.endpoint}: {exc}"))
                    continue
                holdings.append(
                    {
                        "department": code,
                        "name": dept.name,
                        "records": [
                            {
                                "category": code_name(r.category),
                                "category_hex": "0x" + r.category.hex(),
                                "record": code_name(r.record_id),
                                "record_hex": "0x" + r.record_id.hex(),
                                "version": r.version,
                                "anchor": r.anchor_kind,
                                "block": r.anchored_block,
                            }
                            for r in records
                        ],
                    }
                )
        context = {"holdings": holdings}
        return portal.render(request, "dataspace.html", context, 200, problems, roles)

    @app.post("/me/data/fetch", response_class=HTMLResponse)
    def fetch(
        request: Request,
        csrf: str = Form(""),
        department: str = Form(""),
        category: str = Form(""),
        record: str = Form(""),
    ) -> Response:
        portal.account(request)
        portal.check_csrf(request, csrf)
        problems, roles = portal.page_state(request)
        try:
            cat, rid = bytes32(category, "category"), bytes32(record, "record id")
        except InvalidInput:
            return portal.render(request, "message.html", {"message": "field.error"}, 400)
        me = client(request)
        found = {code_name(d.code): d for d in me.departments() if d.endpoint}
        dept = found.get(department)
        if dept is None:
            unknown = {"message": "error.unknown_department"}
            return portal.render(request, "message.html", unknown, 400)
        try:
            got = me.fetch(dept.endpoint, cat, rid, dept.code)
        except GovchainError as exc:
            problems.append(Problem(f"node {department}", f"{dept.endpoint}: {exc}"))
            return portal.render(request, "message.html", {"detail": str(exc)}, 502, problems)
        try:
            content = json.dumps(got.json(), ensure_ascii=False, indent=2)
        except ValueError:
            content = got.content.decode("utf-8", "replace")
        context: dict[str, Any] = {
            "department": department,
            "category": code_name(got.category),
            "record": code_name(got.record_id),
            "version": got.version,
            "content": content,
            "content_hash": "0x" + got.content_hash.hex(),
            "anchor": got.anchor_kind,
            "block": got.anchored_block,
            "time": iso(got.anchored_at),
        }
        return portal.render(request, "record_content.html", context, 200, problems, roles)
