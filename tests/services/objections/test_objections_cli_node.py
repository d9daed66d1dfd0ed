"""`govchain objection send|read` through PSB's data node, and `govchain audit objections --index`,
on the deployed reference city: the reason and the rejection text go through the owner's node
(never on chain), sealed on the sender's machine to the readers' published keys, each checked
against its commitment when opened; the audit reads the same answer from the index as from the
chain."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from govchain.node.chain import ChainAddresses, RpcChain
from govchain.node.server import DataNode, NodeConfig
from govchain.node.store import Store, sqlite_url
from govchain.toolchain.devnet import rpc
from tests.cli.conftest import CityRun, assert_one_line_error, new_key
from tests.helpers import code
from tests.node.helpers import running_node
from tests.services.objections.test_objections_cli import REASON, REJECTION, _attested, _decide

#: a citizen's reason that would redraw the approver's terminal (review s28 L-6)
HOSTILE = REASON + "\n\x1b[2K\x1b[1GVALID: upheld 已更正"


@pytest.fixture
def psb_node(city_run: CityRun, tmp_path: Path) -> Iterator[str]:
    connection = city_run.platform.connection
    contracts = connection.deployment.contracts
    addresses = ChainAddresses.from_names({n: c.address for n, c in contracts.items()})
    reader = RpcChain(connection.url, addresses, chain_id=connection.chain_id)
    store = Store(sqlite_url(tmp_path / "psb.db"))
    with running_node(DataNode(NodeConfig(code("PSB")), store, reader)) as url:
        yield url
    store.dispose()


def test_reason_and_rejection_travel_through_the_owners_node(
    city_run: CityRun, psb_node: str, tmp_path: Path
) -> None:
    alice, alice_address = new_key(city_run, "alice")
    bob, _ = new_key(city_run, "bob")
    uid = _attested(city_run, alice_address)
    oid = city_run.json(
        "--key", alice, "objection", "file", "--attestation", uid, "--reason", HOSTILE
    )["id"]
    # the approver has nothing to read before the citizen sends it
    early = city_run("--key", "psb-approver1", "objection", "read", oid, "--node", psb_node)
    assert_one_line_error(early, 1, "text_not_found")
    # no approver of PSB published an encryption key yet: nothing can be sealed to them
    keyless = city_run("--key", alice, "objection", "send", oid, "--node", psb_node)
    assert_one_line_error(keyless, 2, "no active approver of it published an encryption key")
    approvers = []
    for name in ("psb-approver1", "psb-approver2"):
        approvers.append(city_run.json("--key", name, "objection", "publish-key")["identity"])
    sent = city_run.json("--key", alice, "objection", "send", oid, "--node", psb_node)
    assert sent["accepted"] is True and sent["kind"] == "reason"
    assert sorted(sent["to"]) == sorted(approvers)
    # bob (whose keystore shares her home here, so he finds her note) may not send it for her
    not_hers = city_run("--key", bob, "objection", "send", oid, "--node", psb_node)
    assert_one_line_error(not_hers, 1, "not_subject_controller")
    # nothing kept of a rejection yet
    none_kept = city_run(
        "--key", alice, "objection", "send", oid, "--rejection", "--node", psb_node
    )
    assert_one_line_error(none_kept, 2, "no text of it is kept")
    read = city_run.json("--key", "psb-approver1", "objection", "read", oid, "--node", psb_node)
    assert read["text"] == HOSTILE and read["kind"] == "reason"
    # on the approver's screen: one line, its line break and ESC shown escaped, Chinese as is
    plain = city_run("--key", "psb-approver1", "objection", "read", oid, "--node", psb_node)
    assert plain.exit_code == 0, plain.stderr
    [line] = plain.stdout.strip().splitlines()
    assert line.endswith(REASON + "\\n\\x1b[2K\\x1b[1GVALID: upheld 已更正"), line
    staff = city_run("--key", "psb-staff", "objection", "read", oid, "--node", psb_node)
    assert_one_line_error(staff, 1, "not_owner_approver")

    keys = ["psb-approver2", "psb-approver1"]
    _decide(city_run, tmp_path, oid, keys, "--reject", "--reason", REJECTION)
    no_key = city_run(
        "--key", "psb-approver2", "objection", "send", oid, "--rejection", "--node", psb_node
    )
    assert_one_line_error(no_key, 2, "published no encryption key")
    city_run.json("--key", alice, "citizen", "offers", "publish-key")
    back = city_run.json(
        "--key", "psb-approver2", "objection", "send", oid, "--rejection", "--node", psb_node
    )
    assert back["kind"] == "rejection"
    got = city_run.json("--key", alice, "objection", "read", oid, "--rejection", "--node", psb_node)
    assert got["text"] == REJECTION
    other = city_run("--key", bob, "objection", "read", oid, "--rejection", "--node", psb_node)
    assert_one_line_error(other, 1, "not_subject_controller")


def test_audit_reads_overdue_objections_from_the_index(city_run: CityRun, tmp_path: Path) -> None:
    alice, alice_address = new_key(city_run, "alice")
    uid = _attested(city_run, alice_address)
    oid = city_run.json(
        "--key", alice, "objection", "file", "--attestation", uid, "--reason", REASON
    )["id"]
    db = str(tmp_path / "index.db")
    city_run.json("index", "sync", "--db", db)
    assert city_run("audit", "objections", "--index", db).exit_code == 0
    rpc(city_run.rpc or "", "evm_increaseTime", [15 * 86_400 + 1])
    rpc(city_run.rpc or "", "evm_mine", [])
    from_chain = city_run("--json", "audit", "objections")
    from_index = city_run("audit", "objections", "--index", db)
    assert from_index.exit_code == 1 and f"OVERDUE {oid}" in from_index.stdout
    listed = city_run("--json", "audit", "objections", "--index", db)
    assert listed.exit_code == from_chain.exit_code == 1
    chain_ids = [o["id"] for o in json.loads(from_chain.stdout)["overdue"]]
    assert [o["id"] for o in json.loads(listed.stdout)["overdue"]] == chain_ids == [oid]
    _decide(
        city_run, tmp_path, oid, ["psb-approver1", "psb-approver3"], "--reject", "--reason", "no"
    )
    city_run.json("index", "sync", "--db", db)
    assert city_run("audit", "objections", "--index", db).exit_code == 0
