// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ICaseApprovals} from "./ICaseApprovals.sol";
import {IRuleRegistry} from "./IRuleRegistry.sol";

/**
 * @title IRuleDecisions
 * @notice Case steps decided by a registered rule (秒批) instead of approvers' signatures.
 *
 * A route step whose `threshold` is zero is a RULE step: its `department` field holds the id
 * of a rule line of the {IRuleRegistry} (`keccak256(abi.encode(department, name))`). Anyone may
 * trigger its decision with one attestation per requirement of the rule's current version
 * ({IRuleRegistry-Evidence}, the preimage of each uid); the step is approved if the evidence
 * satisfies the rule at that block, otherwise the call reverts with the reason (a rule never
 * rejects). Signatures and votes are refused on a RULE step.
 *
 * Issuing authority (invariant 4): a case that issues an attestation of the accepting
 * department must have a step decided by that department's own approvers, either directly
 * (a signature step of the department) or through a rule those approvers registered (a RULE
 * step whose rule line belongs to the department).
 */
interface IRuleDecisions {
    /**
     * @notice The keys that decided case `caseId`, which issued an attestation used as evidence:
     * in the order {decidersHash} folds them (see there). Named for every piece of evidence whose
     * attester is this contract, so the rule check can refuse it when any of them is marked
     * compromised (an attestation carries exactly the authority of those who decided it).
     */
    struct CaseDeciders {
        bytes32 caseId;
        address[] deciders;
    }

    /**
     * @notice What decides one RULE step: the rule's requirements (as registered), one
     * attestation per requirement, and for each of those attested by this contract (a case's
     * attestation), in evidence order, the deciders of the case that issued it (none for other
     * evidence).
     */
    struct RuleProof {
        IRuleRegistry.Requirement[] requirements;
        IRuleRegistry.Evidence[] evidence;
        CaseDeciders[] cases;
    }

    /**
     * @notice RULE step `step` of case `caseId` was approved by version `version` of rule
     * `ruleId` with attestations `attestationUids` (one per requirement), triggered by `sender`.
     */
    event StepDecidedByRule(
        bytes32 indexed caseId,
        uint8 indexed step,
        bytes32 indexed ruleId,
        uint32 version,
        address sender,
        bytes32[] attestationUids
    );

    /**
     * @notice A citizen's acceptance of an offered service (免申即享): `signer` (the identity's
     * owner key or a valid DELEGATE_AGENT) signed the EIP-712 message `AcceptOffer(address
     * citizen, bytes32 service, bytes32 caseId, bytes32 consentHash, bytes32 requirementsHash,
     * uint256 deadline)`.
     * `service` is a registered service ({IServiceRegistry}) whose terms the case's must be;
     * `caseId` is the hash of the case's terms, so the signature is the application for exactly
     * that case (rule, benefit schema, documents) and nothing else; `consentHash` commits to the
     * consent text she agreed to (the attestations the rule uses); `requirementsHash` is the
     * hash of the requirements that text names ({IRuleRegistry-requirementsHashOf}), which must
     * be those of the rule's version in force when the offer is accepted; `deadline` bounds it.
     */
    struct Acceptance {
        address signer;
        bytes32 service;
        bytes32 consentHash;
        bytes32 requirementsHash;
        uint256 deadline;
        bytes signature;
    }

    /**
     * @notice Case `caseId` was opened on the acceptance of `citizen`, signed by `signer`
     * (her owner key or agent), with consent `consentHash`, relayed by `sender`.
     */
    event OfferAccepted(
        bytes32 indexed caseId, address indexed citizen, address signer, bytes32 consentHash, address sender
    );

    /// @notice `signer` is neither the owner key nor a valid DELEGATE_AGENT of identity `citizen`.
    error OfferUnauthorizedSigner(address signer, address citizen);

    /// @notice An accepted offer must be decided in its opening transaction: case `caseId` is still open.
    error OfferNotDecided(bytes32 caseId);

    /// @notice Service `serviceId` is not in force (never registered, or retired): nothing of it can be accepted.
    error OfferServiceNotInForce(bytes32 serviceId);

    /// @notice Case `caseId`'s terms are not service `serviceId`'s (its department, one RULE step of its rule, its benefit).
    error OfferTermsNotService(bytes32 caseId, bytes32 serviceId);

    /// @notice `citizen` already holds benefit attestation `uid` of service `serviceId`, still valid.
    error OfferAlreadyGranted(bytes32 serviceId, address citizen, bytes32 uid);

    /**
     * @notice The citizen consented to service `serviceId` under requirements hashing to `signed`,
     * but its rule's version in force requires `inForce`: her consent does not cover it.
     */
    error OfferRuleChanged(bytes32 serviceId, bytes32 signed, bytes32 inForce);

    /**
     * @notice `citizen` already holds benefit attestation `uid` (schema `schema` of `department`),
     * still valid, issued by a case without a signature step of `department`: a case whose
     * authority comes from RULE steps alone issues no second one.
     */
    error BenefitAlreadyGranted(bytes32 department, bytes32 schema, address citizen, bytes32 uid);

    /**
     * @notice The route has no signature step of the accepting department, and no service of it
     * in force grants `schema` on its rule `ruleId`: the approvers signed the rule's
     * requirements, never this benefit, so the case may not issue it.
     */
    error ApprovalRuleNotForSchema(bytes32 ruleId, bytes32 schema);

    /**
     * @notice The route's authority to issue the benefit comes from RULE steps alone, and the
     * services in force binding its rule `ruleId` to it grant it valid until `latest` at most
     * (issued now); the case asks `attestationExpiry` `expiry` (0: never), later. The approvers
     * fix the validity in the service, not the STAFF member who opens the case.
     */
    error ApprovalBenefitExpiryNotAllowed(bytes32 ruleId, uint64 expiry, uint256 latest);

    /**
     * @notice The route's authority to issue the benefit comes from RULE steps alone: such a
     * benefit refers to no other attestation, and the case names `refUID`.
     */
    error ApprovalBenefitRefNotAllowed(bytes32 refUID);

    /**
     * @notice Attestation `uid` was issued by a case one of whose deciders, `decider` (a signer
     * or counted voter of one of its steps, or the attester of, or a decider behind, the
     * evidence of one of its RULE steps), the council marked compromised at `since`: a theft may
     * predate the marking, so nothing it decided decides a rule.
     */
    error RuleDeciderCompromised(bytes32 uid, address decider, uint64 since);

    /**
     * @notice Attestation `uid` was issued by this contract, and the proof names no
     * {CaseDeciders} entry left for it (one per such evidence, in evidence order).
     */
    error RuleCaseDecidersMissing(bytes32 uid);

    /**
     * @notice The {CaseDeciders} entry given for attestation `uid` names case `caseId`, which
     * did not issue it (not Approved with `uid` as its outcome), or deciders that are not that
     * case's (they do not fold to its {decidersHash}).
     */
    error RuleCaseDecidersMismatch(bytes32 uid, bytes32 caseId);

    /// @notice The proof gives `given` {CaseDeciders} entries; its evidence attested by this contract needs `used`.
    error RuleCaseDecidersExtra(uint256 given, uint256 used);

    /// @notice Step `step` of case `caseId` is a RULE step: it is decided by its rule, not by signatures or votes.
    error ApprovalRuleStep(bytes32 caseId, uint8 step);

    /// @notice Step `step` of case `caseId` is decided by approvers, not by a rule.
    error ApprovalNotRuleStep(bytes32 caseId, uint8 step);

    /**
     * @notice Opens a case (as {ICaseApprovals-openCase}) and decides its first RULE steps in the
     * same transaction, one per proof; a route of RULE steps only is decided (and its
     * attestation issued) by the transaction that opens it.
     *
     * Requirements: as {ICaseApprovals-openCase}, then as {decideByRule}.
     */
    function openCaseByRule(ICaseApprovals.CaseTerms calldata terms, RuleProof[] calldata proofs)
        external
        returns (bytes32 caseId);

    /**
     * @notice Decides consecutive RULE steps of an open case, from the open one, one per proof.
     *
     * Requirements: the case is open (`terms` are its terms); each step is a RULE step within
     * its deadline; the rule is in force, its department Active, the requirements are the
     * current version's, and each attestation meets its requirement for the case's citizen
     * applicant ({IRuleRegistry-check}); each attestation this contract issued comes with the
     * deciders of its case ({CaseDeciders}: `RuleCaseDecidersMissing`, `RuleCaseDecidersMismatch`,
     * `RuleCaseDecidersExtra`), none of them marked compromised (`RuleDeciderCompromised`).
     * When the last step issues an attestation and the
     * route has no signature step of the accepting department, a RULE step of a rule that a
     * service of that department in force binds to the schema must be on the route
     * (`ApprovalRuleNotForSchema`, also checked at opening), and the case is refused while the
     * citizen holds a valid attestation of that department and schema issued so
     * (`BenefitAlreadyGranted`; one valid benefit per citizen and service, whatever the route
     * and whichever way its case was opened). Such a benefit refers to no other attestation
     * (`ApprovalBenefitRefNotAllowed`) and is valid for at most the service's
     * {IServiceRegistry-ServiceTerms} `validFor` from its issue: an `attestationExpiry` of 0
     * stands for exactly that, a later one is refused (`ApprovalBenefitExpiryNotAllowed`).
     *
     * Emits {StepDecidedByRule} per step, then {ICaseApprovals-CaseApproved} when the case closes.
     */
    function decideByRule(bytes32 caseId, ICaseApprovals.CaseTerms calldata terms, RuleProof[] calldata proofs)
        external;

    /**
     * @notice Opens, rule-decides and (if the terms name a schema) issues the benefit of a case
     * the citizen applicant accepted with one signature ({Acceptance}); relayed by a STAFF member
     * of the accepting department, so the citizen pays nothing.
     *
     * Requirements: `acceptance` is a valid, unexpired signature of `AcceptOffer` for this case
     * and service by the applicant's owner key or a valid DELEGATE_AGENT
     * (`OfferUnauthorizedSigner`, `SignatureInvalidSigner`, `SignatureExpired`); the service is in
     * force (`OfferServiceNotInForce`) and the terms are its terms (`OfferTermsNotService`); the
     * signed `requirementsHash` is that of its rule's version in force (`OfferRuleChanged`); the
     * citizen holds no valid benefit of its terms, however issued (`OfferAlreadyGranted`); then
     * as {openCaseByRule};
     * the proof decides the step (`OfferNotDecided`). A replayed acceptance opens nothing
     * (`ApprovalCaseExists`); one used with other terms or another service does not verify.
     *
     * Emits {OfferAccepted}, then as {openCaseByRule}.
     */
    function acceptOffer(
        ICaseApprovals.CaseTerms calldata terms,
        RuleProof[] calldata proofs,
        Acceptance calldata acceptance
    ) external returns (bytes32 caseId);

    /**
     * @notice `keccak256("AcceptOffer(address citizen,bytes32 service,bytes32 caseId,bytes32
     * consentHash,bytes32 requirementsHash,uint256 deadline)")`
     */
    function ACCEPT_OFFER_TYPEHASH() external view returns (bytes32);

    /**
     * @notice The benefit attestation uid last issued to `citizen` of service `serviceId`'s
     * benefit schema in its department's name by a case without a signature step of that
     * department (whatever its RULE steps: the service's, or another service's granting the
     * same schema), accepted through an offer or opened otherwise (zero if none).
     */
    function benefitOf(bytes32 serviceId, address citizen) external view returns (bytes32);

    /**
     * @notice The fold of the keys that decided case `caseId` so far, when its terms issue an
     * attestation (zero otherwise, and before its first approving step): starting from zero,
     * `acc = keccak256(abi.encode(acc, decider))` for each, in the order the steps were
     * decided: a signature step's signers (ascending, as submitted), a vote step's counted
     * voters (as in its {ICaseApprovals-StepDecided}), a RULE step's evidence in order, each
     * attester that is not this contract, and for each attestation of this contract the
     * deciders of the case that issued it (its {CaseDeciders} entry, transitively).
     */
    function decidersHash(bytes32 caseId) external view returns (bytes32);

    /// @notice The rule registry RULE steps name rules of.
    function ruleRegistry() external view returns (IRuleRegistry);
}
