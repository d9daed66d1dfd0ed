"""Plain-language explanations of ``CaseApprovals``' custom errors, registered on import (the
:class:`~govchain.tx.Sender`'s preflight and the CLI use them)."""

from __future__ import annotations

from govchain.errors import explain

for _name, _template in {
    "ApprovalNotStaff": "{account} is not an active STAFF member of {department}",
    "ApprovalInvalidApplicant": "name exactly one applicant: a citizen identity or a department",
    "ApprovalInvalidRouteLength": "a route has 1 to 16 steps, not {length}",
    "ApprovalInvalidStep": "route step {index} has no department (or rule), or a "
    "deadline in the past or before the previous step's",
    "ApprovalSchemaNotAllowed": "the approvers of {department} may not issue attestations of "
    "schema {schema} (or the applicant is not a citizen)",
    "ApprovalIssuerNotOnRoute": "the route has no step of {department}, which would issue "
    "schema {schema}: its own approvers must decide a step of the case",
    "ApprovalInvalidPreviousCase": "earlier case {previousCase} does not exist, is still "
    "open, or was approved (status {status})",
    "ApprovalUnknownCase": "no case {caseId} (unknown, or these are not its terms)",
    "ApprovalCaseExists": "a case with these terms exists already ({caseId}); a re-submission "
    "names the earlier case",
    "ApprovalCaseClosed": "case {caseId} is closed (status {status})",
    "ApprovalWrongStep": "the decision is for step {step} but step {currentStep} is open",
    "ApprovalStepExpired": "step {step} of case {caseId} passed its deadline {deadline}",
    "ApprovalStepNotExpired": "step {step} of case {caseId} is still within its deadline "
    "{deadline}",
    "ApprovalInsufficientSignatures": "step {step} needs {threshold} signatures, got {provided}",
    "ApprovalMalformedSignature": "signature entry {index} is malformed",
    "ApprovalSignerOrder": "signer {signer} is not above {previous}: a duplicate or unsorted "
    "signer",
    "ApprovalNotApprover": "{signer} is not an active APPROVER of {department}",
    "ApprovalWrongDepartment": "{signer} is a member of {signerDepartment}, not of {department}",
    "ApprovalDepartmentNotActive": "department {department} is not active (status {status})",
    "ApprovalAlreadyVoted": "{approver} already voted on step {step} of case {caseId}",
    "ApprovalUnauthorizedWithdrawal": "{account} is neither the opener nor acting for the "
    "applicant of case {caseId}",
}.items():
    explain(_name, _template)
