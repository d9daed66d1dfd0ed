// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

import {IAttestationRegistry} from "../interfaces/IAttestationRegistry.sol";
import {ICaseApprovals} from "../interfaces/ICaseApprovals.sol";
import {DELEGATE_AGENT, ICitizenRegistry} from "../interfaces/ICitizenRegistry.sol";
import {IDepartmentRegistry, ROLE_APPROVER, ROLE_STAFF} from "../interfaces/IDepartmentRegistry.sol";
import {CaseTermsLib} from "./CaseTermsLib.sol";
import {DecisionVerifier} from "./DecisionVerifier.sol";

/**
 * @title CaseApprovals
 * @notice Cross-department approval cases decided by approvers' EIP-712 e-signatures or
 * on-chain votes. See {ICaseApprovals}.
 *
 * Gas: opening stores three slots whatever the route's length (the terms are hashed);
 * each signature of a submitted decision costs one `ecrecover` and one membership check.
 */
contract CaseApprovals is ICaseApprovals, DecisionVerifier {
    using CaseTermsLib for CaseTerms;

    struct CaseRecord {
        // slot 0: everything a transition reads and writes
        address opener;
        CaseStatus status;
        uint8 step;
        uint8 stepCount;
        uint8 approvals;
        uint8 rejections;
        uint40 openedAt;
        // slot 1: what a reader checks documents against; slot 2: written when the case closes
        bytes32 documentsHash;
        bytes32 outcome;
    }

    /// @inheritdoc ICaseApprovals
    uint256 public constant MAX_STEPS = CaseTermsLib.MAX_STEPS;

    /// @inheritdoc ICaseApprovals
    bytes32 public constant DECISION_TYPEHASH = _DECISION_TYPEHASH;

    ICitizenRegistry private immutable _citizens;
    IAttestationRegistry private immutable _attestations;

    mapping(bytes32 caseId => CaseRecord) private _cases;
    mapping(bytes32 caseId => mapping(uint8 step => mapping(address approver => bool))) private _voted;

    constructor(IDepartmentRegistry departments_, ICitizenRegistry citizens_, IAttestationRegistry attestations_)
        EIP712("CaseApprovals", "1")
        DecisionVerifier(departments_)
    {
        _citizens = citizens_;
        _attestations = attestations_;
    }

    // ---------------------------------------------------------------------------------------
    // Cases
    // ---------------------------------------------------------------------------------------

    /// @inheritdoc ICaseApprovals
    function openCase(CaseTerms calldata terms) external returns (bytes32 caseId) {
        terms.validate();
        bytes32 accepting = terms.acceptingDepartment;
        if (!_departments.isActiveMember(msg.sender, accepting, ROLE_STAFF)) {
            revert ApprovalNotStaff(msg.sender, accepting);
        }
        bytes32 schema = terms.schema;
        if (schema != bytes32(0)) {
            if (
                terms.applicantCitizen == address(0)
                    || !_attestations.canAttest(schema, accepting, ROLE_STAFF | ROLE_APPROVER)
            ) revert ApprovalSchemaNotAllowed(schema, accepting);
        }
        bytes32 previous = terms.previousCase;
        if (previous != bytes32(0)) {
            // closed without approval: Rejected, Withdrawn or Expired (the statuses after Approved)
            CaseStatus previousStatus = _cases[previous].status;
            if (uint8(previousStatus) <= uint8(CaseStatus.Approved)) {
                revert ApprovalInvalidPreviousCase(previous, previousStatus);
            }
        }

        caseId = terms.hash();
        CaseRecord storage c = _cases[caseId];
        if (c.status != CaseStatus.None) revert ApprovalCaseExists(caseId);
        c.opener = msg.sender;
        c.status = CaseStatus.Open;
        c.stepCount = uint8(terms.route.length);
        c.openedAt = uint40(block.timestamp);
        c.documentsHash = terms.documentsHash;
        emit CaseOpened(caseId, accepting, terms.applicantKey(), msg.sender, terms);
    }

    /// @inheritdoc ICaseApprovals
    function submitDecisions(bytes32 caseId, CaseTerms calldata terms, StepDecision[] calldata decisions) external {
        CaseRecord storage c = _openRecord(caseId, terms);
        uint8 step = c.step;
        for (uint256 i = 0; i < decisions.length; ++i) {
            if (c.status != CaseStatus.Open) revert ApprovalCaseClosed(caseId, c.status);
            StepDecision calldata d = decisions[i];
            if (d.step != step) revert ApprovalWrongStep(caseId, d.step, step);
            Step calldata s = _liveStep(caseId, terms, step);
            address[] memory signers = _checkDecision(caseId, d, s.department, s.threshold);
            emit StepDecided(caseId, step, s.department, d.approve, d.commentHash, msg.sender, signers);
            _conclude(c, caseId, terms, step, d.approve, d.commentHash);
            ++step;
        }
    }

    /// @inheritdoc ICaseApprovals
    function decide(bytes32 caseId, CaseTerms calldata terms, bool approve, bytes32 commentHash) external {
        CaseRecord storage c = _openRecord(caseId, terms);
        uint8 step = c.step;
        Step calldata s = _liveStep(caseId, terms, step);
        if (!_isActiveApprover(msg.sender, s.department)) _revertNotApprover(msg.sender, s.department);
        mapping(address approver => bool) storage voted = _voted[caseId][step];
        if (voted[msg.sender]) revert ApprovalAlreadyVoted(caseId, step, msg.sender);
        voted[msg.sender] = true;
        emit DecisionCast(caseId, step, msg.sender, approve, commentHash);

        uint8 tally = approve ? ++c.approvals : ++c.rejections;
        if (tally == s.threshold) {
            emit StepDecided(caseId, step, s.department, approve, commentHash, msg.sender, new address[](0));
            _conclude(c, caseId, terms, step, approve, commentHash);
        }
    }

    /// @inheritdoc ICaseApprovals
    function withdraw(bytes32 caseId, CaseTerms calldata terms, bytes32 reasonHash) external {
        CaseRecord storage c = _openRecord(caseId, terms);
        if (msg.sender != c.opener && !_actsForApplicant(terms, msg.sender)) {
            revert ApprovalUnauthorizedWithdrawal(caseId, msg.sender);
        }
        c.status = CaseStatus.Withdrawn;
        c.outcome = reasonHash;
        emit CaseWithdrawn(caseId, msg.sender, reasonHash);
    }

    /// @inheritdoc ICaseApprovals
    function expire(bytes32 caseId, CaseTerms calldata terms) external {
        CaseRecord storage c = _openRecord(caseId, terms);
        uint8 step = c.step;
        uint40 deadline = terms.route[step].deadline;
        if (block.timestamp <= deadline) revert ApprovalStepNotExpired(caseId, step, deadline);
        c.status = CaseStatus.Expired;
        emit CaseExpired(caseId, step, deadline, msg.sender);
    }

    // ---------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------

    /// @inheritdoc ICaseApprovals
    function caseOf(bytes32 caseId) external view returns (CaseView memory) {
        CaseRecord storage c = _cases[caseId];
        return CaseView({
            status: c.status,
            currentStep: c.step,
            stepCount: c.stepCount,
            approvals: c.approvals,
            rejections: c.rejections,
            opener: c.opener,
            openedAt: c.openedAt,
            documentsHash: c.documentsHash,
            outcome: c.outcome
        });
    }

    /// @inheritdoc ICaseApprovals
    function caseIdOf(CaseTerms calldata terms) external pure returns (bytes32) {
        return terms.hash();
    }

    /// @inheritdoc ICaseApprovals
    function decisionHash(bytes32 caseId, uint8 step, bool approve, bytes32 commentHash, uint256 deadline)
        external
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(_decisionStructHash(caseId, step, approve, commentHash, deadline));
    }

    /// @inheritdoc ICaseApprovals
    function hasVoted(bytes32 caseId, uint8 step, address approver) external view returns (bool) {
        return _voted[caseId][step][approver];
    }

    /// @inheritdoc ICaseApprovals
    function registries() external view returns (IDepartmentRegistry, ICitizenRegistry, IAttestationRegistry) {
        return (_departments, _citizens, _attestations);
    }

    // ---------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------

    /// @dev The record of open case `caseId`, whose terms `terms` must be (they hash to the id).
    function _openRecord(bytes32 caseId, CaseTerms calldata terms) private view returns (CaseRecord storage c) {
        if (terms.hash() != caseId) revert ApprovalUnknownCase(caseId);
        c = _cases[caseId];
        CaseStatus status = c.status;
        if (status != CaseStatus.Open) {
            if (status == CaseStatus.None) revert ApprovalUnknownCase(caseId);
            revert ApprovalCaseClosed(caseId, status);
        }
    }

    /// @dev Route step `step`, reverting if its deadline has passed.
    function _liveStep(bytes32 caseId, CaseTerms calldata terms, uint8 step) private view returns (Step calldata s) {
        s = terms.route[step];
        if (block.timestamp > s.deadline) revert ApprovalStepExpired(caseId, step, s.deadline);
    }

    /// @dev Applies step `step`'s decision: next step, or the case closes Rejected or Approved.
    function _conclude(
        CaseRecord storage c,
        bytes32 caseId,
        CaseTerms calldata terms,
        uint8 step,
        bool approve,
        bytes32 commentHash
    ) private {
        if (!approve) {
            c.status = CaseStatus.Rejected;
            c.outcome = commentHash;
            emit CaseRejected(caseId, step, terms.route[step].department, commentHash);
        } else if (step + 1 == c.stepCount) {
            c.status = CaseStatus.Approved;
            bytes32 uid = bytes32(0);
            if (terms.schema != bytes32(0)) {
                uid = _attestations.attestFromApproval(
                    terms.acceptingDepartment,
                    terms.applicantCitizen,
                    terms.schema,
                    terms.documentsHash,
                    terms.attestationExpiry,
                    terms.attestationRefUID
                );
                c.outcome = uid;
            }
            emit CaseApproved(caseId, terms.acceptingDepartment, uid);
        } else {
            c.step = step + 1;
            c.approvals = 0;
            c.rejections = 0;
        }
    }

    /// @dev Whether `account` may act for the applicant: the identity's owner or agent, or staff.
    function _actsForApplicant(CaseTerms calldata terms, address account) private view returns (bool) {
        address citizen = terms.applicantCitizen;
        if (citizen == address(0)) {
            return _departments.isActiveMember(account, terms.applicantDepartment, ROLE_STAFF);
        }
        return _citizens.identityOwner(citizen) == account || _citizens.validDelegate(citizen, DELEGATE_AGENT, account);
    }
}
