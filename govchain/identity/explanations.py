"""Plain-language text for every custom error of the identity contracts.

Registered with :func:`govchain.errors.explain` when :mod:`govchain.identity` is imported, so
a refusal reads "0x.. is not a council member" instead of ``CouncilNotMember(account=0x..)``.
Fields are the errors' argument names.
"""

from __future__ import annotations

from govchain.errors import explain

IDENTITY_EXPLANATIONS: dict[str, str] = {
    # Council
    "CouncilZeroAddress": "a council member or proposal target must not be the zero address",
    "CouncilAlreadyMember": "{account} is a council member already",
    "CouncilTooManyMembers": "the council has its maximum of {max} members already",
    "CouncilNotMember": "{account} is not a council member",
    "CouncilInvalidThreshold": "a threshold of {threshold} is impossible with {members} members",
    "CouncilOnlySelf": "only the council itself, through an executed proposal, may do this",
    "CouncilInvalidExpiry": "expiry {expiry} must be in the future and within 30 days",
    "CouncilUnknownProposal": "no council proposal has id {id}",
    "CouncilProposalExpired": "proposal {id} expired at {expiry}",
    "CouncilAlreadyApproved": "{member} approved proposal {id} already",
    "CouncilAlreadyExecuted": "proposal {id} was executed already",
    "CouncilThresholdNotMet": "proposal {id} has {approvals} of the {threshold} approvals it needs",
    "CouncilLengthMismatch": "{signers} signers but {signatures} signatures",
    "CouncilSeatInactive": (
        "{member} holds no voting seat: it is not an ADMIN of an Active department"
    ),
    "CouncilApprovalWithdrawn": (
        "{member} withdrew its approval of proposal {id}; its signed approvals no longer count"
    ),
    "CouncilNotApproved": "{member} has no counted approval of proposal {id} to withdraw",
    "CouncilProposalCancelled": "proposal {id} was cancelled",
    "CouncilUnauthorizedCancel": (
        "{caller} may not cancel proposal {id} (only its proposer, holding a seat, or the council)"
    ),
    "CouncilUnauthorizedBinder": "only the council's deployer binds its department registry",
    "CouncilRegistryAlreadyBound": "the council reads its seats from {registry} already",
    "CouncilRegistryMismatch": "{registry} is governed by {council}, not by this council",
    "CouncilRegistryNotBound": "the council has no department registry yet: no seat can vote",
    # DepartmentRegistry
    "DepartmentUnauthorizedCouncil": "only the council may do this ({caller} is not the council)",
    "DepartmentUnauthorizedAdmin": "{caller} is not an ADMIN of an active department",
    "DepartmentUnauthorizedProposer": (
        "a department is proposed by its own first ADMIN key {admin}, not by {caller}"
    ),
    "DepartmentInvalidCode": "a department code must be 1 to 29 printable ASCII characters without a dot",
    "DepartmentAlreadyExists": "department {code} exists already",
    "DepartmentUnknown": "no department has code {code}",
    "DepartmentInvalidTransition": "department {code} cannot go from status {from} to {to}",
    "DepartmentInvalidRegion": "region {region} is not a six-digit GB/T 2260 code",
    "DepartmentInvalidName": "a department name must be 1 to {max} bytes (got {length})",
    "DepartmentEndpointTooLong": "the endpoint is {length} bytes, more than the {max} allowed",
    "DepartmentZeroAddress": "a member key must not be the zero address",
    "DepartmentInvalidRoles": "roles {roles} are not a combination of staff, approver, admin, auditor",
    "DepartmentMemberExists": "{account} already belongs to department {department}",
    "DepartmentNotMember": "{account} is not a member of department {department}",
    "DepartmentLastAdmin": "{admin} is the last ADMIN of {department}; add another admin first",
    "DepartmentKeyCompromised": (
        "the council marked {account} compromised at {since}: it can never join a department"
    ),
    "DepartmentNoOffer": "department {department} offered {account} no membership",
    "DepartmentOfferLapsed": (
        "the offer lapsed: {admin} is no longer an ADMIN of {department}, or it is not Active"
    ),
    "DepartmentUnauthorizedWithdrawal": (
        "only {founder}, which proposed the department, may withdraw it ({caller} may not)"
    ),
    # CitizenRegistry
    "CitizenUnauthorizedOwner": "{caller} does not own identity {identity}",
    "CitizenZeroAddress": "an owner or delegate must not be the zero address",
    "CitizenInvalidValidity": "a validity must be longer than zero seconds",
    "CitizenDelegateNotFound": "{delegate} is not a delegate of {identity}",
    "CitizenInvalidGuardian": "guardian {guardian} is the zero address or named twice",
    "CitizenTooManyGuardians": "{count} guardians, more than the {max} allowed",
    "CitizenInvalidGuardianThreshold": (
        "a threshold of {threshold} with {guardians} guardians is not allowed "
        "(2 to the number of guardians)"
    ),
    "CitizenRecoveryDelayTooShort": "a time lock of {delay}s is shorter than the minimum {min}s",
    "CitizenGuardiansShareDepartment": "two guardians belong to department {department}",
    "CitizenNotGuardian": "{account} is not a guardian of {identity}",
    "CitizenRecoveryAlreadyApproved": (
        "{guardian} supported the recovery of {identity} to {newOwner} already"
    ),
    "CitizenRecoveryNotQueued": (
        "the recovery of {identity} to {newOwner} has not reached its guardians' threshold "
        "(or was cancelled)"
    ),
    "CitizenRecoveryLocked": (
        "the recovery of {identity} to {newOwner} is time-locked until {readyAt}"
    ),
    "CitizenDelegateNotFromPreviousEpoch": (
        "{delegate} is a delegate of {identity} under the current key already (epoch {epoch}); "
        "only a delegate installed by a previous key needs confirming"
    ),
    "CitizenDelegateExpired": (
        "the delegation of {delegate} for {identity} ended at {validTo}; add it again instead"
    ),
    "CitizenTooManyDelegates": (
        "{identity} already lists {max} delegates under its current key (expired ones count "
        "until revoked); revoke one first"
    ),
    "CitizenGuardianDepartmentChanged": (
        "guardian {guardian} of {identity} was chosen in department {chosen} but is now in "
        "{current} (or its department is not active, or its key was marked compromised): its "
        "approval or cancellation does not count; "
        "the owner must choose the guardians again"
    ),
    "CitizenRecoveryApprovalsLapsed": (
        "only {counted} of the approvals of the recovery of {identity} to {newOwner} still count "
        "(a guardian left or changed department, or its key was marked compromised); "
        "{threshold} are needed"
    ),
    "CitizenChangeLocked": (
        "the change queued for {identity} is time-locked until {readyAt} "
        "(the guardians may cancel it until then)"
    ),
    "CitizenChangeNotQueued": (
        "no such change is queued for {identity} (never queued, cancelled, replaced by another, "
        "or voided by an owner change)"
    ),
    "CitizenNotOwnerOrGuardian": "{caller} is neither the owner nor a guardian of {identity}",
    # Schemas and attestations
    "SchemaUnauthorizedRegistrant": "{account} is not an ADMIN of an active department",
    "SchemaInvalidRoleMask": "role mask {roleMask} is not a combination of department roles",
    "SchemaUnknownDepartment": "no department has code {department}",
    "SchemaAlreadyRegistered": "schema {uid} is registered already",
    "SchemaNotFound": "no schema has uid {uid}",
    "AttestationUnauthorized": "{account} is not a member of an active department",
    "AttestationSchemaNotAllowed": (
        "a member of {department} with roles {roles} may not attest under schema {schema}"
    ),
    "AttestationInvalidSubject": "the subject must not be the zero address",
    "AttestationInvalidExpiry": "expiry {expiry} is in the past",
    "AttestationRefNotFound": "referenced attestation {refUID} does not exist or was revoked",
    "AttestationAlreadyExists": (
        "the same attestation {uid} was made in this block already (a uid is issued once, "
        "even after it is revoked); make it again in a later block"
    ),
    "AttestationNotFound": "no attestation {uid} (never made, or revoked already)",
    "AttestationIrrevocable": "attestation {uid}'s schema does not allow revocation",
    "AttestationUnauthorizedRevoker": (
        "{account} may not revoke {uid} (not a member of the issuing department "
        "with the schema's role)"
    ),
    "AttestationDepartmentInactive": "department {department} is not active",
    "AttestationEmptyBatch": "a batch of attestations must not be empty",
    "AttestationWrongDepartment": (
        "{attester} signed for department {department} but is a member of {current} now; "
        "a signature carries only the authority of the department it names"
    ),
    "AttestationUnauthorizedCouncil": "{caller} is not the council",
    "AttestationDepartmentNotHalted": (
        "the council revokes only a Suspended or Retired department's attestations; "
        "{department} has status {status} (2 Active, 3 Suspended, 4 Retired; an active "
        "department revokes its own)"
    ),
    "AttestationNotIssuedBy": "attestation {uid} was not issued by {department}",
}


def register() -> None:
    for name, template in IDENTITY_EXPLANATIONS.items():
        explain(name, template)


register()
