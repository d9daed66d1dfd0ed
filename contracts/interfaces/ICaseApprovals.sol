// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAttestationRegistry} from "./IAttestationRegistry.sol";
import {ICitizenRegistry} from "./ICitizenRegistry.sol";
import {IDepartmentRegistry} from "./IDepartmentRegistry.sol";

/**
 * @title ICaseApprovals
 * @notice Paperless cross-department approval. A STAFF member of the accepting department opens
 * a case over the Merkle root of the application's electronic documents, with an ordered route
 * of steps; each step is decided by `threshold` APPROVERs of its department, who co-sign one
 * EIP-712 `Decision` off chain (submitted by anyone, one or several steps per transaction) or
 * vote on chain. The last approval closes the case Approved and may issue an attestation to the
 * applicant; a rejection closes it Rejected with the reason hash.
 *
 * A case's id is the hash of its immutable {CaseTerms} (documents hash, applicant, route,
 * attestation, earlier case), so an approver's signature of a `Decision` on that id commits to
 * exactly those documents and that route. Storage keeps only what changes or what a reader
 * checks: status, progress, opener, documents hash, outcome. The terms are emitted in
 * {CaseOpened} and passed back as calldata by every call that needs them, which keeps opening
 * a case to two new storage slots whatever its route length.
 *
 * Each approver's key signs one `Decision` per step's decision whose `signer` is zero ("the
 * key that signs"), as a Safe's owners sign one hash; an ERC-1271 approver wallet (a department's
 * multisig) is asked about the `Decision` naming the wallet as `signer`, so a wallet that accepts
 * its owner's signatures cannot present the owner's own approval as the wallet's (R2-5).
 *
 * Signatures (`StepDecision.signatures`, Safe's encoding): `threshold` entries of 65 bytes
 * `r || s || v`, ordered by signer address strictly ascending (so no signer counts twice):
 * - `v` = 27 or 28: an EOA's ECDSA signature (low `s`) of {decisionHash} with `signer` zero;
 *   the signer is the key it recovers.
 * - `v` = 0: an ERC-1271 contract signer: `r` = its address (left-padded), `s` = the byte
 *   offset, inside `signatures`, of `uint256 length || signature bytes`, appended after the
 *   entries; the contract must accept them for {decisionHash} naming it (OpenZeppelin
 *   `SignatureChecker`).
 */
interface ICaseApprovals {
    enum CaseStatus {
        None,
        Open,
        Approved,
        Rejected,
        Withdrawn,
        Expired
    }

    /// @notice One step of a route: `threshold` APPROVERs of `department` decide by `deadline`;
    /// a zero `threshold` makes it a RULE step whose `department` is a rule id (see IRuleDecisions).
    struct Step {
        bytes32 department;
        uint8 threshold;
        uint40 deadline;
    }

    /**
     * @notice What a case is about; fixed at opening; `keccak256(abi.encode(terms))` is the case id.
     * @dev `documentsHash` is the Merkle root of the application's electronic documents. The applicant is either a citizen identity (`applicantCitizen`, an address of the
     * citizen registry) or a department (`applicantDepartment`, its code): exactly one is set.
     * `schema` (zero for none) is issued to the citizen applicant on approval, with
     * `attestationExpiry` (zero = never) and `attestationRefUID` (zero = none).
     * `previousCase` (zero = none) is an earlier case this one re-submits after it was closed
     * without approval.
     */
    struct CaseTerms {
        bytes32 documentsHash;
        bytes32 acceptingDepartment;
        address applicantCitizen;
        bytes32 applicantDepartment;
        bytes32 schema;
        uint64 attestationExpiry;
        bytes32 attestationRefUID;
        bytes32 previousCase;
        Step[] route;
    }

    /**
     * @notice A step's decision co-signed by its approvers: each key signs the EIP-712 message
     * `Decision(caseId, step, approve, commentHash, signer, deadline)` with `signer` zero, each
     * ERC-1271 wallet accepts it naming the wallet; `signatures` holds the 65-byte entries.
     */
    struct StepDecision {
        uint8 step;
        bool approve;
        bytes32 commentHash;
        uint256 deadline;
        bytes signatures;
    }

    /**
     * @notice A case's whole stored state (its terms are the preimage of its id, emitted in
     * {CaseOpened}): `currentStep` is the open step (the step it closed at once closed); `approvals` and `rejections` count the open step's recorded on-chain votes (a vote
     * whose voter no longer counts as an approver is discarded when its side is recounted);
     * `outcome` is the rejection or withdrawal reason hash, or the attestation issued on approval.
     */
    struct CaseView {
        CaseStatus status;
        uint8 currentStep;
        uint8 stepCount;
        uint8 approvals;
        uint8 rejections;
        address opener;
        uint40 openedAt;
        bytes32 documentsHash;
        bytes32 outcome;
    }

    // ---------------------------------------------------------------------------------------
    // Events
    // ---------------------------------------------------------------------------------------

    /**
     * @notice Case `caseId` was opened by `opener` of `acceptingDepartment`. `applicant` is the
     * citizen identity left-padded to 32 bytes, or the applicant department's code.
     */
    event CaseOpened(
        bytes32 indexed caseId,
        bytes32 indexed acceptingDepartment,
        bytes32 indexed applicant,
        address opener,
        CaseTerms terms
    );

    /// @notice Approver `approver` voted on chain on step `step` of case `caseId`.
    event DecisionCast(
        bytes32 indexed caseId, uint8 indexed step, address indexed approver, bool approve, bytes32 commentHash
    );

    /**
     * @notice Step `step` of case `caseId` was decided by `department`. `signers` are the
     * signers of a submitted decision, or the voters whose on-chain votes were counted (each
     * vote in a {DecisionCast}, with its own comment; `commentHash` is then zero); `submitter`
     * sent the transaction.
     */
    event StepDecided(
        bytes32 indexed caseId,
        uint8 indexed step,
        bytes32 indexed department,
        bool approve,
        bytes32 commentHash,
        address submitter,
        address[] signers
    );

    /**
     * @notice The on-chain vote of `approver` on step `step` of case `caseId` was discarded when
     * its side was recounted: `approver` was no longer an active APPROVER of the step's Active
     * department. It may vote again if it is one again.
     */
    event VoteDiscarded(bytes32 indexed caseId, uint8 indexed step, address indexed approver);

    /// @notice Case `caseId` was approved; `attestationUid` is the issued attestation (or zero).
    event CaseApproved(bytes32 indexed caseId, bytes32 indexed acceptingDepartment, bytes32 attestationUid);

    /// @notice Case `caseId` was rejected at step `step` by `department`, for `reasonHash`.
    event CaseRejected(bytes32 indexed caseId, uint8 indexed step, bytes32 indexed department, bytes32 reasonHash);

    /// @notice Case `caseId` was withdrawn by `account` (the opener, or for the applicant).
    event CaseWithdrawn(bytes32 indexed caseId, address indexed account, bytes32 reasonHash);

    /// @notice Case `caseId` expired: step `step` was not decided by `deadline`; marked by `account`.
    event CaseExpired(bytes32 indexed caseId, uint8 indexed step, uint40 deadline, address account);

    // ---------------------------------------------------------------------------------------
    // Errors
    // ---------------------------------------------------------------------------------------

    /// @notice `account` is not an active STAFF member of `department`, which accepts (or would accept) the case.
    error ApprovalNotStaff(address account, bytes32 department);

    /// @notice Exactly one of the citizen identity and the applicant department must be set.
    error ApprovalInvalidApplicant();

    /// @notice A route has between 1 and {MAX_STEPS} steps.
    error ApprovalInvalidRouteLength(uint256 length);

    /// @notice Route step `index` has no department (a RULE step: no rule id), or a deadline in
    /// the past or before the previous step's.
    error ApprovalInvalidStep(uint256 index);

    /// @notice The APPROVER role of `department` may not issue attestations of `schema`, or the applicant is not a citizen.
    error ApprovalSchemaNotAllowed(bytes32 schema, bytes32 department);

    /**
     * @notice The route has no step of `department`, the accepting department that would issue
     * `schema`: a case carries only the authority of the approvers who decide it, so one of
     * the issuing department's steps must be on the route.
     */
    error ApprovalIssuerNotOnRoute(bytes32 schema, bytes32 department);

    /// @notice `previousCase` does not exist, is still open, or was approved.
    error ApprovalInvalidPreviousCase(bytes32 previousCase, CaseStatus status);

    /// @notice No case `caseId`: unknown, or the terms passed are not its terms (they hash to the id).
    error ApprovalUnknownCase(bytes32 caseId);

    /// @notice A case with these terms exists already; a re-submission names the earlier case.
    error ApprovalCaseExists(bytes32 caseId);

    /// @notice Case `caseId` is closed (`status`); nothing changes it any more.
    error ApprovalCaseClosed(bytes32 caseId, CaseStatus status);

    /// @notice A decision for step `step` was sent while step `currentStep` is open.
    error ApprovalWrongStep(bytes32 caseId, uint8 step, uint8 currentStep);

    /// @notice Step `step` of case `caseId` passed its deadline `deadline`.
    error ApprovalStepExpired(bytes32 caseId, uint8 step, uint40 deadline);

    /// @notice Step `step` of case `caseId` is still within its deadline `deadline`.
    error ApprovalStepNotExpired(bytes32 caseId, uint8 step, uint40 deadline);

    /// @notice Fewer than `threshold` signature entries (`provided`) for step `step`.
    error ApprovalInsufficientSignatures(bytes32 caseId, uint8 step, uint256 provided, uint8 threshold);

    /// @notice Signature entry `index` is malformed: a `v` other than 0, 27 or 28, a high `s`,
    /// an `r || s || v` that recovers no key, or a contract entry whose address or data offset is out of range.
    error ApprovalMalformedSignature(uint256 index);

    /// @notice `signer` is not above the previous signer `previous`: a duplicate or unsorted signer.
    error ApprovalSignerOrder(address signer, address previous);

    /**
     * @notice `signer` is not an active APPROVER of `department`: the key holds no APPROVER role
     * there. A key's signature of another message (another case, step, verdict, comment,
     * deadline, contract or chain) recovers an unrelated address, refused with this error (or
     * {ApprovalSignerOrder} if it sorts below the entry before it); a wallet that does not accept
     * its entry is refused with `SignatureInvalidSigner(wallet)`.
     */
    error ApprovalNotApprover(address signer, bytes32 department);

    /// @notice `signer` is a member of `signerDepartment`, not of the step's `department`.
    error ApprovalWrongDepartment(address signer, bytes32 signerDepartment, bytes32 department);

    /// @notice The step's `department` is not Active (`status`): suspended, retired or unknown.
    error ApprovalDepartmentNotActive(bytes32 department, IDepartmentRegistry.DepartmentStatus status);

    /// @notice `approver` already voted on chain on step `step` of case `caseId`.
    error ApprovalAlreadyVoted(bytes32 caseId, uint8 step, address approver);

    /// @notice `account` is neither the opener nor acting for the applicant (owner, agent or staff) of `caseId`.
    error ApprovalUnauthorizedWithdrawal(bytes32 caseId, address account);

    // ---------------------------------------------------------------------------------------
    // Cases
    // ---------------------------------------------------------------------------------------

    /**
     * @notice Opens a case over `terms.documentsHash` (the Merkle root of the e-documents).
     * @param terms documents, applicant, route, attestation to issue and earlier case
     * @return caseId the new case's id, `keccak256(abi.encode(terms))`
     *
     * Requirements:
     * - the caller is an active STAFF member of `terms.acceptingDepartment`;
     * - exactly one applicant; a route of 1 to {MAX_STEPS} steps, each with a department, a
     *   threshold of at least 1 and a deadline in the future, not before the previous step's;
     * - if `terms.schema` is set: a citizen applicant, the accepting department's APPROVER role
     *   may attest it ({IAttestationRegistry-canAttest} with ROLE_APPROVER), and the route has a
     *   step of the accepting department (the attestation carries only the authority of the
     *   approvers who decide the case; checked again when it is issued);
     * - if `terms.previousCase` is set: that case exists and was closed without approval;
     * - no case with the same terms exists.
     *
     * Emits a {CaseOpened} event.
     */
    function openCase(CaseTerms calldata terms) external returns (bytes32 caseId);

    /**
     * @notice Submits co-signed decisions for one or several consecutive steps, from the open one.
     * @param caseId the case
     * @param terms the case's terms, as emitted in {CaseOpened}
     * @param decisions one per step, in order; each carries its step's `threshold` signatures
     *
     * Requirements:
     * - the case is open (`terms` are the case's terms);
     * - each decision is for the step then open, before that step's deadline and the
     *   decision's own deadline;
     * - each decision has `threshold` entries, signers strictly ascending: a key's signature of
     *   {decisionHash} with `signer` zero, or a wallet's acceptance of {decisionHash} naming it
     *   (`SignatureInvalidSigner(wallet)` otherwise); each signer an active APPROVER of the
     *   step's department now;
     * - no signer already has a vote recorded with {decide} on the open step
     *   (`ApprovalAlreadyVoted`): an approver's on-chain vote is their word on that step.
     *
     * Emits a {StepDecided} event per decision, then {CaseApproved} or {CaseRejected} when the
     * case closes.
     */
    function submitDecisions(bytes32 caseId, CaseTerms calldata terms, StepDecision[] calldata decisions) external;

    /**
     * @notice Casts the caller's vote on the open step. When a side reaches `threshold` votes it
     * is recounted: the step is decided only if `threshold` of its voters are active APPROVERs
     * of the step's Active department now; the votes of those who no longer are are discarded.
     *
     * Requirements: the case is open, `terms` match, the step's deadline has not passed, the
     * caller is an active APPROVER of the step's department and has no recorded vote on this step.
     *
     * Emits a {DecisionCast} event, a {VoteDiscarded} per lapsed vote, and when the step is
     * decided {StepDecided} naming the counted voters (and {CaseApproved} or {CaseRejected}
     * when the case closes; a step rejected by votes closes with a zero reason hash, each
     * voter's comment being in its {DecisionCast}).
     */
    function decide(bytes32 caseId, CaseTerms calldata terms, bool approve, bytes32 commentHash) external;

    /**
     * @notice Withdraws an open case for `reasonHash`.
     *
     * Requirements: the case is open, `terms` match, and the caller is the opener while still
     * an active STAFF member of the (Active) accepting department, or for a citizen applicant
     * the identity's owner or a valid DELEGATE_AGENT, or for a department applicant an active
     * STAFF member of it. A dismissed opener's cases are left to the applicant or to expiry.
     *
     * Emits a {CaseWithdrawn} event.
     */
    function withdraw(bytes32 caseId, CaseTerms calldata terms, bytes32 reasonHash) external;

    /**
     * @notice Marks an open case Expired because its open step passed its deadline undecided.
     *
     * Requirements: the case is open, `terms` match, the open step's deadline has passed.
     *
     * Emits a {CaseExpired} event.
     */
    function expire(bytes32 caseId, CaseTerms calldata terms) external;

    // ---------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------

    /// @notice The most steps a route may have.
    function MAX_STEPS() external view returns (uint256);

    /// @notice `keccak256("Decision(bytes32 caseId,uint8 step,bool approve,bytes32 commentHash,address signer,uint256 deadline)")`
    function DECISION_TYPEHASH() external view returns (bytes32);

    /// @notice The whole stored state of case `caseId` (status None if unknown).
    function caseOf(bytes32 caseId) external view returns (CaseView memory);

    /// @notice The id of the case with `terms`: `keccak256(abi.encode(terms))`.
    function caseIdOf(CaseTerms calldata terms) external pure returns (bytes32);

    /**
     * @notice The EIP-712 digest of a decision (the domain is this contract on this chain), so
     * clients can check their encoding: with `signer` zero the one digest every approver's key
     * signs; with an ERC-1271 approver wallet's address, the digest that wallet must accept.
     */
    function decisionHash(
        bytes32 caseId,
        uint8 step,
        bool approve,
        bytes32 commentHash,
        address signer,
        uint256 deadline
    ) external view returns (bytes32);

    /// @notice Whether `approver` has a recorded (not discarded) on-chain vote on step `step` of
    /// case `caseId`; votes are kept for the open step (or the step the case closed at) only.
    function hasVoted(bytes32 caseId, uint8 step, address approver) external view returns (bool);

    /// @notice The department, citizen and attestation registries this contract consults.
    function registries() external view returns (IDepartmentRegistry, ICitizenRegistry, IAttestationRegistry);
}
