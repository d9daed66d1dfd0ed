"""The demo's casework chapters: a paperless approval across three departments, and the
citizen's access trail."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from eth_utils.crypto import keccak

from govchain.approval import CaseStatus, CaseTerms, Step
from govchain.approval.cases import Cases, Comment
from govchain.demo import persona
from govchain.demo.common import (
    DAY,
    DemoFailure,
    access_count,
    label,
    short,
)
from govchain.deploy import department_code
from govchain.identity.messages import (
    schema_uid,
)
from govchain.node.client import CitizenClient
from govchain.node.publisher import canonical_json
from govchain.reference import (
    ROLE_APPROVER,
)
from govchain.sharing import MerkleTree
from govchain.sharing.merkle import new_salt, salted_content_hash

if TYPE_CHECKING:
    from govchain.demo.scenario import Scenario


def approval_chapter(s: Scenario) -> None:
    s.say.chapter(
        "Paperless approval: Civil Affairs → Disabled Persons' Federation → Finance",
        "The case holds the Merkle root of the e-documents (the application and the three "
        "verified records). Each step's approvers sign their decision with EIP-712 off chain; "
        "anyone submits a step's signatures in one transaction. The last approval issues the "
        "'subsidy granted' attestation to the citizen.",
    )
    attestations = s.contract("AttestationRegistry")
    civil = s.dept("CIVIL")
    civil_code = department_code("CIVIL")
    fields = keccak(text="SubsidyGranted(bytes32 caseId)")
    tx, _ = s.send(
        civil.admin,
        attestations.functions.registerSchema(fields, ROLE_APPROVER, civil_code, True),
    )
    schema = schema_uid(fields, ROLE_APPROVER, civil_code, True)
    s.say.did(f"CIVIL registered the schema SubsidyGranted {short(schema)}", tx)
    form_hash = salted_content_hash(new_salt(), canonical_json(persona.application_form()))
    documents = MerkleTree([form_hash, *s.fetched.values()])
    deadline = s.now() + 7 * DAY
    route = (
        Step(civil_code, 1, deadline),
        Step(department_code("DPF"), 1, deadline),
        Step(department_code("FINANCE"), 2, deadline),
    )
    terms = CaseTerms(
        documents_hash=documents.root,
        accepting_department=civil_code,
        route=route,
        applicant_citizen=s.citizen.address,
        schema=schema,
    )
    desk = Cases(s.connection, s.sender(civil.staff))
    opened = desk.open(terms)
    case_id = opened.case_id
    s.say.did(
        f"CIVIL staff opened case {short(case_id)} ({len(documents)} e-documents)", opened.tx_hash
    )
    # the reviewers' comment goes on chain only as a salted commitment (kept with the documents)
    comment = Comment.new("reviewed: eligible").commitment
    for index, step in enumerate(route):
        code = label(step.department)
        # each approver's key signs the step's one Decision, off chain; staff relays them
        signed = [
            desk.sign(a, case_id, True, comment, deadline)
            for a in s.dept(code).approvers[: step.threshold]
        ]
        sent = desk.submit(case_id, signed)
        s.say.did(
            f"step {index + 1}: {step.threshold} {code} approver(s) signed; submitted", sent.tx_hash
        )
    state = desk.state(case_id, history=False)
    uid = state.outcome
    valid = attestations.functions.isValid(uid).call()
    s.say.note(f"case status {state.status.name}; attestation {short(uid)} valid: {valid}")
    status = CaseStatus(state.status)
    s.summary["case"] = {"id": "0x" + case_id.hex(), "status": status.name}
    s.summary["subsidy_attestation"] = "0x" + bytes(uid).hex()


def trail_chapter(s: Scenario) -> None:
    s.say.chapter(
        "Who used my data?",
        "The citizen lists every access to her data: who, when, which category, for which "
        "purpose, under which grant. The answer comes from the chain, not from the "
        "departments; an AUDITOR may ask the same about anyone.",
    )
    trail = CitizenClient(s.reader(), s.citizen).access_trail()
    rows = []
    w3 = s.connection.w3
    for entry in trail:
        when = datetime.fromtimestamp(int(w3.eth.get_block(entry["block"])["timestamp"]), UTC)
        rows.append(
            [
                when.strftime("%H:%M:%S"),
                label(entry["grantee"]),
                label(entry["category"]),
                short(entry["grantId"], 8),
                short(entry["tx"], 8),
            ]
        )
    s.say.table("Access trail (SDK)", ["UTC", "by", "category", "grant", "access tx"], rows)
    s.summary["access_trail"] = len(rows)
    args = ("audit", "access", "--subject", s.citizen.address)
    code, report = s.cli(*args, key="citizen")
    if code != 0:
        raise DemoFailure(f"govchain {' '.join(args)} exited {code}: {report}")
    code, by_auditor = s.cli(*args, key="bdb-auditor")
    if code != 0:
        raise DemoFailure(f"the BDB auditor's trail query exited {code}: {by_auditor}")
    s.say.did(
        f"govchain --key citizen audit access --subject {short(s.citizen.address)}: "
        f"{access_count(report)} accesses; the Big Data Bureau's auditor sees the same "
        f"{access_count(by_auditor)}"
    )
