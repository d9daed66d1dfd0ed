"""Review s26 V-1: a credential's signer is judged by its standing now, not only at the block
the credential names.

``govchain.issuedBlock`` (with ``issuanceDate``, its block's time) is a field the signer writes
into the struct it signs: nothing dates the signature. A key removed from the department, or
marked compromised, could name a block before its removal and keep signing credentials with
field values of its choosing. ``vc verify`` now also requires, at the block it reads (the
latest), an active membership of the issuing department with a role the schema lets attest, an
Active department, and a key never marked compromised (``compromisedSince == 0``). Each refusal
is one line, exit 1, NOT VERIFIED. The review's probe
(``/work/wt-review/tests/probes/test_review_s26_vc.py``) is the first test, turned to assert the
refusal.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from govchain.interop.vc import (
    CREDENTIAL,
    CredentialNotVerified,
    _domain,
    _hex,
    _message,
    commitment,
    verify,
)
from govchain.tx import Sender
from tests.cli.conftest import CityRun, assert_one_line_error
from tests.interop.test_vc import FIELDS, attestation, export, save

PSB = b"PSB".ljust(32, b"\0")
AGAIN = "ask a current member of PSB to re-export the credential"


def forge(city_run: CityRun, honest: dict[str, Any], key: Any) -> dict[str, Any]:
    """``honest`` with other field values, new salts and commitments, signed by ``key`` at the
    credential's original ``issuedBlock`` (as the holder of a removed key could, off chain)."""
    conn = city_run.platform.connection
    forged: dict[str, Any] = json.loads(json.dumps(honest))
    values = {"name": "李四", "id_number": "110101198001019999", "verified": "true"}
    salts = {n: os.urandom(32) for n in values}
    forged["credentialSubject"]["fields"] = dict(sorted(values.items()))
    forged["govchain"]["commitments"] = {
        n: _hex(commitment(n, v, salts[n])) for n, v in values.items()
    }
    forged["govchain"]["salts"] = {n: _hex(salts[n]) for n in sorted(values)}
    domain = _domain(conn.chain_id, conn.deployment.address("AttestationRegistry"))
    forged["proof"]["proofValue"] = (
        "0x" + CREDENTIAL.sign(key.key, domain, _message(forged, PSB)).hex()
    )
    return forged


def council(city_run: CityRun, *action: str) -> None:
    """A council decision: BDB proposes, HRSS approves (2 of 3), HRSS executes."""
    made = city_run.json("--key", "bdb-admin", "council", "propose", *action)
    for step in ("approve", "execute"):
        done = city_run("--key", "hrss-admin", "council", step, made["id"])
        assert done.exit_code == 0, done.stderr


def test_a_removed_key_cannot_sign_a_backdated_credential(
    city_run: CityRun, tmp_path: Path
) -> None:
    """The review's probe, fixed: removed from PSB, the staff key forges field values and signs
    them naming the block of the honest credential (before its removal); verify refuses it, in
    the SDK and the CLI, and export refuses the key before signing."""
    uid, _ = attestation(city_run)
    honest = export(city_run, uid, tmp_path / "vc.json")
    issued = int(honest["govchain"]["issuedBlock"])
    conn = city_run.platform.connection
    psb = city_run.platform.departments["PSB"]
    registry = conn.contract("DepartmentRegistry")
    removed = Sender(conn.w3, psb.admin, conn.decoder()).transact(
        registry.functions.removeMember(psb.staff.address)
    )
    assert int(removed["blockNumber"]) > issued
    forged = forge(city_run, honest, psb.staff)
    assert forged["govchain"]["issuedBlock"] == issued  # a block before the removal
    reason = f"signer {psb.staff.address} is no longer an active member of PSB"
    with pytest.raises(CredentialNotVerified, match=reason):
        verify(conn, forged)
    cli = city_run("--json", "vc", "verify", str(save(tmp_path / "forged.json", forged)))
    assert_one_line_error(cli, 1, "credential NOT VERIFIED", reason, AGAIN)
    assert cli.stdout == ""
    # the honest credential of the departed key is refused the same way
    assert_one_line_error(city_run("vc", "verify", str(tmp_path / "vc.json")), 1, reason, AGAIN)
    # and 'attest export' refuses the removed key before it signs anything
    args = [a for f in FIELDS for a in ("--field", f)]
    out = tmp_path / "late.json"
    late = city_run("--key", "psb-staff", "attest", "export", uid, "--vc", str(out), *args)
    assert_one_line_error(late, 1, "credential refused", "is not an active member of PSB")
    assert not out.exists()


def test_a_compromised_key_is_refused_whatever_block_it_names(
    city_run: CityRun, tmp_path: Path
) -> None:
    """Marked compromised by the council, the key's credentials - the honest one it made before
    and a forged one naming the same old block - are refused, with the time of the marking."""
    uid, _ = attestation(city_run)
    honest = export(city_run, uid, tmp_path / "vc.json")
    psb = city_run.platform.departments["PSB"]
    council(city_run, "mark-compromised", "psb-staff")
    since = city_run.platform.connection.contract("DepartmentRegistry").functions
    assert int(since.compromisedSince(psb.staff.address).call()) > 0
    forged = save(tmp_path / "forged.json", forge(city_run, honest, psb.staff))
    for path in (tmp_path / "vc.json", forged):
        assert_one_line_error(
            city_run("vc", "verify", str(path)), 1, "credential NOT VERIFIED",
            f"signer {psb.staff.address} was marked compromised by the council at",
            "whatever block the credential names", AGAIN,
        )  # fmt: skip


def test_a_suspended_departments_credentials_are_refused_until_reinstated(
    city_run: CityRun, tmp_path: Path
) -> None:
    uid, _ = attestation(city_run)
    export(city_run, uid, tmp_path / "vc.json")
    council(city_run, "suspend", "PSB")
    assert_one_line_error(
        city_run("vc", "verify", str(tmp_path / "vc.json")), 1, "credential NOT VERIFIED",
        "department PSB is Suspended", "until the council reinstates it",
    )  # fmt: skip
    council(city_run, "reinstate", "PSB")
    assert city_run.json("vc", "verify", str(tmp_path / "vc.json"))["verified"] is True


def test_a_signer_whose_attesting_role_was_taken_is_refused(
    city_run: CityRun, tmp_path: Path
) -> None:
    """Still a member of PSB, but now only an AUDITOR: the STAFF schema's credential it signed
    as STAFF is refused; a current STAFF member's re-export verifies."""
    uid, _ = attestation(city_run)
    export(city_run, uid, tmp_path / "vc.json")
    psb = city_run.platform.departments["PSB"]
    changed = city_run("--key", "psb-admin", "dept", "set-roles", "psb-staff", "--role", "auditor")
    assert changed.exit_code == 0, changed.stderr
    assert_one_line_error(
        city_run("vc", "verify", str(tmp_path / "vc.json")), 1, "credential NOT VERIFIED",
        f"signer {psb.staff.address} no longer holds a role of PSB that may attest this schema",
        "it needs staff", AGAIN,
    )  # fmt: skip
    # a current STAFF member (the admin, given STAFF) re-exports: verified, naming both blocks
    given = city_run(
        "--key", "psb-admin", "dept", "set-roles", "psb-admin", "--role", "admin,staff"
    )
    assert given.exit_code == 0, given.stderr
    args = [a for f in FIELDS for a in ("--field", f)]
    again = tmp_path / "again.json"
    redone = city_run("--key", "psb-admin", "attest", "export", uid, "--vc", str(again), *args)
    assert redone.exit_code == 0, redone.stderr
    ok = city_run.json("vc", "verify", str(again))
    assert ok["verified"] is True and ok["signer"] == psb.admin.address
    assert ok["signer_roles"] == "staff" and ok["checked_block"] >= ok["issued_block"]
    text = city_run("vc", "verify", str(again))
    assert text.exit_code == 0, text.stderr
    assert f"at block {ok['issued_block']} and still at block" in text.stdout
