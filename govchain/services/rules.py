"""Rules that decide case steps without signatures (秒批): data, messages and encodings.

A rule line ``name`` of a department has id ``keccak256(abi.encode(department, name))``; each
registration makes its next version current. A rule is a list of :class:`Requirement` (schema,
departments that may issue it, maximum age). A route step with threshold 0 is a RULE step whose
``department`` field is the rule id (:func:`rule_step`); it is decided with one
:class:`Evidence` (an attestation's uid preimage) per requirement.

Registration and retirement are EIP-712 messages (``RegisterRule`` / ``RetireRule``) signed by
``RuleRegistry.SIGNATURES`` approvers of the department; the version is the message's unique id.
Each approver signs the message naming herself (``signer``; an ERC-1271 wallet's owner signs the
one naming the wallet), so one approver's signature never counts for a wallet too (R2-5).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import encode
from eth_utils.crypto import keccak

from govchain import validate
from govchain.approval import Step
from govchain.eip712 import Domain, TypedMessage, message
from govchain.errors import explain

DOMAIN_NAME = "RuleRegistry"
CONTRACT = "RuleRegistry"

REQUIREMENT_ABI = "(bytes32,uint64,bytes32[])"
EVIDENCE_ABI = "(bytes32,address,address,bytes32,bytes32,uint64,bytes32,uint40)"

REGISTER_RULE: TypedMessage = message(
    "RegisterRule",
    [
        ("bytes32", "department"),
        ("bytes32", "name"),
        ("uint32", "version"),
        ("bytes32", "requirementsHash"),
        ("address", "signer"),
        ("uint256", "deadline"),
    ],
)

RETIRE_RULE: TypedMessage = message(
    "RetireRule",
    [
        ("bytes32", "department"),
        ("bytes32", "name"),
        ("uint32", "version"),
        ("address", "signer"),
        ("uint256", "deadline"),
    ],
)


def domain(chain_id: int, contract: str) -> Domain:
    """The EIP-712 domain of a ``RuleRegistry`` deployment."""
    return Domain(DOMAIN_NAME, chain_id, contract)


def name_code(name: str) -> bytes:
    """A rule name as the 32-byte code on chain: ASCII letters, digits, ``-`` ``_`` ``.``; 1-32."""
    raw = name.encode("ascii", "replace")
    if not 1 <= len(raw) <= 32 or not all(chr(b).isalnum() or chr(b) in "-_." for b in raw):
        raise ValueError(f"rule name {name!r}: 1 to 32 ASCII letters, digits, '-', '_' or '.'")
    return raw.ljust(32, b"\0")


def rule_id(department: bytes, name: bytes) -> bytes:
    """``keccak256(abi.encode(department, name))``: the id of rule line ``name`` of ``department``."""
    return bytes(keccak(encode(["bytes32", "bytes32"], [department, name])))


def shown_version(stored: int, active: bool) -> int:
    """The version a reader is shown for a rule or service line whose chain state is
    (``stored``, ``active``): the current version in force or, for a retired line, the version
    its retirement ended. A retirement takes a number of its own on chain (review s27 R-2: a
    change signed before it can then not be relayed), so a retired line stores that version + 1;
    the next registration is signed for ``stored + 1``."""
    stored = int(stored)
    return stored if active or stored == 0 else stored - 1


def rule_step(rule: bytes, deadline: int) -> Step:
    """A RULE route step: decided by rule ``rule`` (its id) by ``deadline``."""
    return Step(bytes(rule), 0, int(deadline))


@dataclass(frozen=True)
class Requirement:
    """An attestation of ``schema`` by one of ``departments``, at most ``max_age`` seconds old."""

    schema: bytes
    max_age: int
    departments: tuple[bytes, ...]

    def as_tuple(self) -> tuple[bytes, int, list[bytes]]:
        return (self.schema, self.max_age, list(self.departments))

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema": "0x" + self.schema.hex(),
            "max_age": self.max_age,
            "departments": ["0x" + d.hex() for d in self.departments],
        }

    @classmethod
    def from_raw(cls, raw: Any) -> Requirement:
        parts = list(raw.values()) if isinstance(raw, Mapping) else list(raw)
        return cls(bytes(parts[0]), int(parts[1]), tuple(bytes(d) for d in parts[2]))


def requirements_hash(requirements: Sequence[Requirement]) -> bytes:
    """``keccak256(abi.encode(requirements))``: what the registry stores of a rule version."""
    return bytes(keccak(encode([f"{REQUIREMENT_ABI}[]"], [[r.as_tuple() for r in requirements]])))


@dataclass(frozen=True)
class Evidence:
    """An attestation's uid preimage, as the ``Attested`` event and block give it."""

    schema: bytes
    subject: str
    attester: str
    department: bytes
    data_hash: bytes
    expiry: int
    ref_uid: bytes
    issued_at: int

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            self.schema,
            self.subject,
            self.attester,
            self.department,
            self.data_hash,
            self.expiry,
            self.ref_uid,
            self.issued_at,
        )

    @property
    def uid(self) -> bytes:
        return bytes(keccak(encode([EVIDENCE_ABI], [self.as_tuple()])))

    @classmethod
    def from_event(cls, args: Mapping[str, Any], issued_at: int) -> Evidence:
        """From a decoded ``Attested`` event's arguments and its block's timestamp."""
        return cls(
            schema=bytes(args["schema"]),
            subject=validate.address(args["subject"]),
            attester=validate.address(args["attester"]),
            department=bytes(args["department"]),
            data_hash=bytes(args["dataHash"]),
            expiry=int(args["expiry"]),
            ref_uid=bytes(args["refUID"]),
            issued_at=int(issued_at),
        )


def proof(
    requirements: Sequence[Requirement],
    evidence: Iterable[Evidence],
    cases: Iterable[tuple[bytes, Sequence[str]]] = (),
) -> tuple[Any, ...]:
    """A ``RuleProof`` tuple: the rule's requirements, one attestation per requirement, and for
    each attestation ``CaseApprovals`` issued, in evidence order, its case's id and deciders
    (:meth:`govchain.services.deciders.CaseDeciders.entries`; none for other evidence)."""
    return (
        [r.as_tuple() for r in requirements],
        [e.as_tuple() for e in evidence],
        [(case_id, list(keys)) for case_id, keys in cases],
    )


def register_message(
    department: bytes,
    name: bytes,
    version: int,
    requirements: Sequence[Requirement],
    signer: str,
    deadline: int,
) -> dict[str, Any]:
    """The ``RegisterRule`` message fields that ``signer`` (a key, or an ERC-1271 wallet) signs."""
    return {
        "department": bytes(department),
        "name": bytes(name),
        "version": int(version),
        "requirementsHash": requirements_hash(requirements),
        "signer": validate.address(signer),
        "deadline": int(deadline),
    }


def retire_message(
    department: bytes, name: bytes, version: int, signer: str, deadline: int
) -> dict[str, Any]:
    """The ``RetireRule`` message fields that ``signer`` (a key, or an ERC-1271 wallet) signs."""
    return {
        "department": bytes(department),
        "name": bytes(name),
        "version": int(version),
        "signer": validate.address(signer),
        "deadline": int(deadline),
    }


# Plain-language explanations of the rule errors (the Sender's preflight uses them).
for _name, _template in {
    "RuleInvalidRequirementCount": "a rule has 1 to 16 requirements, not {count}",
    "RuleInvalidRequirement": "requirement {index} needs a schema, 1 to 16 departments and a "
    "maximum age above zero",
    "RuleInvalidName": "a rule needs a department and a name",
    "RuleInsufficientSignatures": "a rule change needs {required} approvers' signatures, got "
    "{provided}",
    "RuleSignerOrder": "signer {signer} is not above {previous}: a duplicate or unsorted signer",
    "RuleNotApprover": "{signer} is not an active APPROVER of the active department {department}",
    "RuleNotInForce": "rule {ruleId} has no version in force (never registered, or retired)",
    "RuleRetirementVersion": "this retirement of rule {ruleId} was signed seeing version "
    "{version}, which is not in force nor followed by a version in force since the rule's last "
    "retirement (already used, or signed for a version not yet registered)",
    "RuleRequirementsMismatch": "these are not the requirements of rule {ruleId}'s current version",
    "RuleDepartmentNotActive": "the rule's department {department} is not active (status "
    "{status}): its rules decide nothing",
    "RuleEvidenceCount": "the rule has {required} requirements; {given} attestations were given "
    "(one per requirement, in order)",
    "RuleWrongSubject": "attestation {uid} is about {subject}, not the case's applicant",
    "RuleWrongSchema": "attestation {uid} is of schema {schema}, the requirement needs {required}",
    "RuleIssuerNotNamed": "attestation {uid} was issued by {department}, which the rule does not "
    "accept for this requirement",
    "RuleIssuerNotActive": "attestation {uid} was issued by {department}, which is not active "
    "(status {status})",
    "RuleAttesterCompromised": "attestation {uid} was made by {attester}, a key the council "
    "marked compromised at {since}: it decides no rule; its department re-attests what is true",
    "RuleDeciderCompromised": "attestation {uid} was issued by a case that {decider}, a key the "
    "council marked compromised at {since}, helped decide: it decides no rule; its department "
    "re-attests what is true",
    "RuleCaseDecidersMissing": "attestation {uid} was issued by a case: the proof must name that "
    "case and the keys that decided it",
    "RuleCaseDecidersMismatch": "the proof names case {caseId} for attestation {uid}, but that "
    "case did not issue it, or those are not the keys that decided it",
    "RuleCaseDecidersExtra": "the proof names {given} cases' deciders; its evidence issued by "
    "cases needs {used}",
    "RuleAttestationExpired": "attestation {uid} expired at {expiry}",
    "RuleAttestationNotFound": "attestation {uid} does not exist (revoked, or not issued with "
    "these contents)",
    "RuleAttestationTooOld": "attestation {uid}, issued at {issuedAt}, is older than the rule's "
    "maximum age of {maxAge} seconds",
    "ApprovalRuleStep": "step {step} of case {caseId} is decided by its rule, not by signatures "
    "or votes",
    "ApprovalNotRuleStep": "step {step} of case {caseId} is decided by approvers, not by a rule",
    "BenefitAlreadyGranted": "{citizen} already holds the benefit {uid} (schema {schema} of "
    "{department}) issued on a rule's authority: one valid benefit per citizen and service",
    "ApprovalRuleNotForSchema": "rule {ruleId} is the route's only authority of the accepting "
    "department, but no service of it in force grants {schema} on that rule: add a signature "
    "step of its approvers, or have them register a service binding the rule to the benefit",
    "ApprovalBenefitExpiryNotAllowed": "the service binding rule {ruleId} to this benefit grants "
    "it until {latest} at most; the case asks it until {expiry} (0: never): leave the expiry "
    "at 0 (the service's validity) or choose an earlier one",
    "ApprovalBenefitRefNotAllowed": "a benefit issued on a rule's authority alone refers to no "
    "other attestation; the case names {refUID}",
}.items():
    explain(_name, _template)
