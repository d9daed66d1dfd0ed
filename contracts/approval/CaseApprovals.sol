// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

import {IAttestationRegistry} from "../interfaces/IAttestationRegistry.sol";
import {ICaseApprovals} from "../interfaces/ICaseApprovals.sol";
import {DELEGATE_AGENT, ICitizenRegistry} from "../interfaces/ICitizenRegistry.sol";
import {IDepartmentRegistry, ROLE_APPROVER, ROLE_STAFF} from "../interfaces/IDepartmentRegistry.sol";
import {IRuleDecisions} from "../interfaces/IRuleDecisions.sol";
import {IRuleRegistry} from "../interfaces/IRuleRegistry.sol";
import {IServiceRegistry} from "../interfaces/IServiceRegistry.sol";
import {RuleCheckLib} from "../services/RuleCheckLib.sol";
import {CaseTermsLib} from "./CaseTermsLib.sol";
import {DecisionVerifier} from "./DecisionVerifier.sol";

/**
 * @title CaseApprovals
 * @notice Cross-department approval cases decided by approvers' EIP-712 e-signatures or
 * on-chain votes. See {ICaseApprovals}.
 *
 * Gas: opening stores three slots whatever the route's length (the terms are hashed);
 * each key's signature of a submitted decision costs one `ecrecover` (of the decision's one
 * digest) and one member slot read, all signers checked in one registry call.
 */
contract CaseApprovals is ICaseApprovals, IRuleDecisions, DecisionVerifier {
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

    /// @inheritdoc IRuleDecisions
    bytes32 public constant ACCEPT_OFFER_TYPEHASH = keccak256(
        "AcceptOffer(address citizen,bytes32 service,bytes32 caseId,bytes32 consentHash,"
        "bytes32 requirementsHash,uint256 deadline)"
    );

    ICitizenRegistry private immutable _citizens;
    IAttestationRegistry private immutable _attestations;
    IRuleRegistry private immutable _rules;

    /// @dev A recorded on-chain vote: the voter's address in the low 160 bits, bit 160 set for approve.
    uint256 private constant _APPROVE_BIT = 1 << 160;

    mapping(bytes32 caseId => CaseRecord) private _cases;
    /**
     * @dev The on-chain votes recorded on each step (see {_APPROVE_BIT}), a list whose length is
     * the open step's `approvals + rejections` (kept in the case's first slot, so a vote writes
     * one new slot). At most `threshold` per side: a side is recounted, and its lapsed votes
     * discarded, whenever it reaches `threshold`.
     */
    mapping(bytes32 caseId => mapping(uint8 step => mapping(uint256 index => uint256 vote))) private _votes;
    /**
     * @dev The benefit attestation last issued by a case whose authority comes from RULE steps
     * alone, keyed by what its terms say ({_benefitKey}: accepting department, benefit schema,
     * citizen), however the case was opened: one valid benefit per citizen and service.
     */
    mapping(bytes32 benefitKey => bytes32 uid) private _benefits;
    /**
     * @dev C-1 (review s27), invariant 4: per case whose terms issue an attestation, the fold of
     * the keys that decided it so far ({IRuleDecisions-decidersHash}), so a rule check can
     * refuse the attestation once any of them is marked compromised. Written by each approving
     * step of such a case before it concludes; cases that issue nothing pay nothing.
     */
    mapping(bytes32 caseId => bytes32 acc) private _deciders;

    constructor(
        IDepartmentRegistry departments_,
        ICitizenRegistry citizens_,
        IAttestationRegistry attestations_,
        IRuleRegistry rules_
    ) EIP712("CaseApprovals", "1") DecisionVerifier(departments_) {
        _citizens = citizens_;
        _attestations = attestations_;
        _rules = rules_;
    }

    // ---------------------------------------------------------------------------------------
    // Cases
    // ---------------------------------------------------------------------------------------

    /// @inheritdoc ICaseApprovals
    function openCase(CaseTerms calldata terms) external returns (bytes32 caseId) {
        caseId = _open(terms);
    }

    /// @inheritdoc IRuleDecisions
    function openCaseByRule(CaseTerms calldata terms, RuleProof[] calldata proofs) external returns (bytes32 caseId) {
        caseId = _open(terms);
        _decideByRule(_cases[caseId], caseId, terms, proofs);
    }

    /// @inheritdoc IRuleDecisions
    function acceptOffer(CaseTerms calldata terms, RuleProof[] calldata proofs, Acceptance calldata acceptance)
        external
        returns (bytes32 caseId)
    {
        address citizen = terms.applicantCitizen;
        address signer = acceptance.signer;
        bytes32 serviceId = acceptance.service;
        caseId = terms.hash();
        bytes32 structHash = keccak256(
            abi.encode(
                ACCEPT_OFFER_TYPEHASH,
                citizen,
                serviceId,
                caseId,
                acceptance.consentHash,
                acceptance.requirementsHash,
                acceptance.deadline
            )
        );
        _verifySignature(signer, structHash, acceptance.deadline, acceptance.signature);
        if (
            citizen == address(0)
                || (_citizens.identityOwner(citizen) != signer
                    && !_citizens.validDelegate(citizen, DELEGATE_AGENT, signer))
        ) revert OfferUnauthorizedSigner(signer, citizen);
        _checkService(serviceId, citizen, terms, caseId, acceptance.requirementsHash);
        _open(terms);
        // one proof for the service's one RULE step, deciding it, or the call reverts: the case closes Approved
        if (proofs.length != 1) revert OfferNotDecided(caseId);
        emit OfferAccepted(caseId, citizen, signer, acceptance.consentHash, msg.sender);
        _decideByRule(_cases[caseId], caseId, terms, proofs);
    }

    /// @inheritdoc IRuleDecisions
    function benefitOf(bytes32 serviceId, address citizen) external view returns (bytes32) {
        IServiceRegistry.ServiceView memory service = IServiceRegistry(address(_rules)).serviceOf(serviceId);
        return _benefits[_benefitKey(service.department, service.benefit, citizen)];
    }

    /**
     * @dev Reverts unless service `serviceId` is in force and `terms` (of case `caseId`) are
     * exactly its terms: its department accepts, one RULE step of its rule, its benefit schema;
     * the citizen's consent was for the requirements `signedRequirements` of the rule's version
     * in force; and `citizen` holds no valid benefit of its department and schema yet issued on
     * rules' authority alone (however the case was opened).
     */
    function _checkService(
        bytes32 serviceId,
        address citizen,
        CaseTerms calldata terms,
        bytes32 caseId,
        bytes32 signedRequirements
    ) private view {
        IServiceRegistry.ServiceView memory service = IServiceRegistry(address(_rules)).serviceOf(serviceId);
        if (!service.active) revert OfferServiceNotInForce(serviceId);
        if (
            terms.acceptingDepartment != service.department || terms.schema != service.benefit
                || terms.route.length != 1 || terms.route[0].threshold != 0 || terms.route[0].department != service.ruleId
        ) revert OfferTermsNotService(caseId, serviceId);
        bytes32 inForce = _rules.ruleOf(service.ruleId).requirementsHash;
        if (signedRequirements != inForce) revert OfferRuleChanged(serviceId, signedRequirements, inForce);
        bytes32 key = _benefitKey(service.department, service.benefit, citizen);
        bytes32 uid = _benefits[key];
        if (uid != bytes32(0) && _attestations.isValid(uid)) {
            revert OfferAlreadyGranted(serviceId, citizen, uid);
        }
    }

    /**
     * @dev The key of the benefits of schema `schema` issued in `department`'s name to `citizen`
     * by cases whose authority comes from RULE steps alone (whichever rules: two services
     * granting one schema share it).
     */
    function _benefitKey(bytes32 department, bytes32 schema, address citizen) private pure returns (bytes32) {
        return keccak256(abi.encode(department, schema, citizen));
    }

    /// @inheritdoc IRuleDecisions
    function decideByRule(bytes32 caseId, CaseTerms calldata terms, RuleProof[] calldata proofs) external {
        _decideByRule(_openRecord(caseId, terms), caseId, terms, proofs);
    }

    /// @dev Opens the case of `terms` (see {ICaseApprovals-openCase}).
    function _open(CaseTerms calldata terms) private returns (bytes32 caseId) {
        terms.validate();
        bytes32 accepting = terms.acceptingDepartment;
        if (!_departments.isActiveMember(msg.sender, accepting, ROLE_STAFF)) {
            revert ApprovalNotStaff(msg.sender, accepting);
        }
        bytes32 schema = terms.schema;
        if (schema != bytes32(0)) {
            if (terms.applicantCitizen == address(0)) revert ApprovalSchemaNotAllowed(schema, accepting);
            _checkIssuingAuthority(terms);
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
        bool issues = terms.schema != bytes32(0);
        for (uint256 i = 0; i < decisions.length; ++i) {
            if (c.status != CaseStatus.Open) revert ApprovalCaseClosed(caseId, c.status);
            StepDecision calldata d = decisions[i];
            if (d.step != step) revert ApprovalWrongStep(caseId, d.step, step);
            Step calldata s = _liveStep(caseId, terms, step);
            address[] memory signers = _checkDecision(caseId, d, s.department, s.threshold);
            _refuseSignersWhoVoted(c, caseId, step, signers);
            _emitStepDecided(caseId, step, s.department, d.approve, d.commentHash, signers);
            // slither-disable-next-line reentrancy-no-eth (only the case's last step calls the immutable AttestationRegistry, which calls nothing back; a later iteration then reverts ApprovalCaseClosed)
            if (issues && d.approve) _deciders[caseId] = _fold(_deciders[caseId], signers);
            _conclude(c, caseId, terms, step, d.approve, d.commentHash);
            ++step;
        }
    }

    /// @inheritdoc ICaseApprovals
    function decide(bytes32 caseId, CaseTerms calldata terms, bool approve, bytes32 commentHash) external {
        CaseRecord storage c = _openRecord(caseId, terms);
        uint8 step = c.step;
        Step calldata s = _liveStep(caseId, terms, step);
        bytes32 department = s.department;
        if (!_countsAsApproverNow(msg.sender, department)) _revertNotApprover(msg.sender, department);
        mapping(uint256 index => uint256 vote) storage votes = _votes[caseId][step];
        uint256 side = approve ? _APPROVE_BIT : 0;
        uint256 length = uint256(c.approvals) + c.rejections;
        uint256 sameSide = 1; // this vote
        for (uint256 i = 0; i < length; ++i) {
            uint256 v = votes[i];
            if (address(uint160(v)) == msg.sender) revert ApprovalAlreadyVoted(caseId, step, msg.sender);
            if (v & _APPROVE_BIT == side) ++sameSide;
        }
        votes[length] = uint256(uint160(msg.sender)) | side;
        if (approve) ++c.approvals;
        else ++c.rejections;
        emit DecisionCast(caseId, step, msg.sender, approve, commentHash);
        if (sameSide < s.threshold) return;

        address[] memory counted = _recount(c, caseId, step, votes, length, side, department, s.threshold);
        if (counted.length == s.threshold) {
            // a step decided by votes has no single comment: each vote's is in its DecisionCast
            emit StepDecided(caseId, step, department, approve, bytes32(0), msg.sender, counted);
            if (approve && terms.schema != bytes32(0)) _deciders[caseId] = _fold(_deciders[caseId], counted);
            _conclude(c, caseId, terms, step, approve, bytes32(0));
        }
    }

    /// @inheritdoc ICaseApprovals
    function withdraw(bytes32 caseId, CaseTerms calldata terms, bytes32 reasonHash) external {
        CaseRecord storage c = _openRecord(caseId, terms);
        if (msg.sender == c.opener) {
            // the opener withdraws as staff of the accepting department, so only while it is one
            bytes32 accepting = terms.acceptingDepartment;
            if (
                !_departments.isActiveMember(msg.sender, accepting, ROLE_STAFF)
                    && !_actsForApplicant(terms, msg.sender)
            ) revert ApprovalNotStaff(msg.sender, accepting);
        } else if (!_actsForApplicant(terms, msg.sender)) {
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
    function decisionHash(
        bytes32 caseId,
        uint8 step,
        bool approve,
        bytes32 commentHash,
        address signer,
        uint256 deadline
    ) external view returns (bytes32) {
        return _hashTypedDataV4(_decisionStructHash(caseId, step, approve, commentHash, signer, deadline));
    }

    /// @inheritdoc ICaseApprovals
    function hasVoted(bytes32 caseId, uint8 step, address approver) external view returns (bool) {
        CaseRecord storage c = _cases[caseId];
        if (c.step != step) return false; // votes are kept for the open step only
        mapping(uint256 index => uint256 vote) storage votes = _votes[caseId][step];
        uint256 length = uint256(c.approvals) + c.rejections;
        for (uint256 i = 0; i < length; ++i) {
            if (address(uint160(votes[i])) == approver) return true;
        }
        return false;
    }

    /// @inheritdoc IRuleDecisions
    function decidersHash(bytes32 caseId) external view returns (bytes32) {
        return _deciders[caseId];
    }

    /// @inheritdoc IRuleDecisions
    function ruleRegistry() external view returns (IRuleRegistry) {
        return _rules;
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

    /// @dev Route step `step` decided by approvers, reverting if it is a RULE step or its deadline has passed.
    function _liveStep(bytes32 caseId, CaseTerms calldata terms, uint8 step) private view returns (Step calldata s) {
        s = terms.route[step];
        if (s.threshold == 0) revert ApprovalRuleStep(caseId, step);
        if (block.timestamp > s.deadline) revert ApprovalStepExpired(caseId, step, s.deadline);
    }

    /**
     * @dev Decides the consecutive RULE steps of case `caseId` from its open step, one per proof
     * (see {IRuleDecisions-decideByRule}); the rule check is {RuleCheckLib-check}.
     */
    function _decideByRule(CaseRecord storage c, bytes32 caseId, CaseTerms calldata terms, RuleProof[] calldata proofs)
        private
    {
        uint8 step = c.step;
        bool issues = terms.schema != bytes32(0);
        bytes32 acc = issues ? _deciders[caseId] : bytes32(0);
        for (uint256 i = 0; i < proofs.length; ++i) {
            if (c.status != CaseStatus.Open) revert ApprovalCaseClosed(caseId, c.status);
            Step calldata s = terms.route[step];
            if (s.threshold != 0) revert ApprovalNotRuleStep(caseId, step);
            if (block.timestamp > s.deadline) revert ApprovalStepExpired(caseId, step, s.deadline);
            bytes32 ruleId = s.department;
            IRuleRegistry.RuleView memory rule = _rules.ruleOf(ruleId);
            RuleProof calldata proof = proofs[i];
            bytes32[] memory uids = RuleCheckLib.check(
                rule, ruleId, terms.applicantCitizen, proof.requirements, proof.evidence, _attestations, _departments
            );
            acc = _checkDeciders(proof, uids, acc, issues);
            // slither-disable-next-line reentrancy-no-eth (only the case's last step calls the immutable AttestationRegistry, which calls nothing back; a later iteration then reverts ApprovalCaseClosed)
            if (issues) _deciders[caseId] = acc;
            emit StepDecidedByRule(caseId, step, ruleId, rule.version, msg.sender, uids);
            _conclude(c, caseId, terms, step, true, bytes32(0));
            ++step;
        }
    }

    /**
     * @dev C-1 (review s27), invariant 4: an attestation carries exactly the authority of those
     * who decided it. Reverts unless `proof` (whose evidence RuleCheckLib accepted, uids `uids`)
     * names, for each attestation this contract issued, in evidence order, the case that issued
     * it and that case's deciders (folding to its {decidersHash}), none marked compromised now.
     * Returns `acc` with this step's deciders folded in when `fold` (the case issues an
     * attestation): each other attester, and each such case's deciders (so the fold is transitive).
     */
    function _checkDeciders(RuleProof calldata proof, bytes32[] memory uids, bytes32 acc, bool fold)
        private
        view
        returns (bytes32)
    {
        IRuleRegistry.Evidence[] calldata evidence = proof.evidence;
        CaseDeciders[] calldata entries = proof.cases;
        uint256 next = 0;
        for (uint256 i = 0; i < evidence.length; ++i) {
            address attester = evidence[i].attester;
            if (attester != address(this)) {
                if (fold) acc = _foldOne(acc, attester);
                continue;
            }
            if (next == entries.length) revert RuleCaseDecidersMissing(uids[i]);
            acc = _checkCase(entries[next++], uids[i], acc, fold);
        }
        if (next != entries.length) revert RuleCaseDecidersExtra(entries.length, next);
        return acc;
    }

    /**
     * @dev Reverts unless `entry` names the Approved case whose outcome is attestation `uid` and
     * exactly the deciders that fold to its {decidersHash}, none marked compromised now;
     * returns `acc` with them folded in when `fold`.
     */
    function _checkCase(CaseDeciders calldata entry, bytes32 uid, bytes32 acc, bool fold)
        private
        view
        returns (bytes32)
    {
        address[] calldata deciders = entry.deciders;
        bytes32 inner = bytes32(0);
        for (uint256 j = 0; j < deciders.length; ++j) {
            inner = _foldOne(inner, deciders[j]);
            if (fold) acc = _foldOne(acc, deciders[j]);
        }
        bytes32 caseId = entry.caseId;
        CaseRecord storage issuing = _cases[caseId];
        if (issuing.status != CaseStatus.Approved || issuing.outcome != uid || _deciders[caseId] != inner) {
            revert RuleCaseDecidersMismatch(uid, caseId);
        }
        for (uint256 j = 0; j < deciders.length; ++j) {
            uint64 since = _departments.compromisedSince(deciders[j]);
            if (since != 0) revert RuleDeciderCompromised(uid, deciders[j], since);
        }
        return acc;
    }

    /// @dev `acc` with each of `keys` folded in, in order ({_foldOne}).
    function _fold(bytes32 acc, address[] memory keys) private pure returns (bytes32) {
        for (uint256 i = 0; i < keys.length; ++i) {
            acc = _foldOne(acc, keys[i]);
        }
        return acc;
    }

    /// @dev `keccak256(abi.encode(acc, key))`, in the scratch space.
    function _foldOne(bytes32 acc, address key) private pure returns (bytes32 result) {
        assembly ("memory-safe") {
            mstore(0x00, acc)
            mstore(0x20, and(key, 0xffffffffffffffffffffffffffffffffffffffff))
            result := keccak256(0x00, 0x40)
        }
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
                // one valid benefit per citizen, department and schema issued on rules' authority alone
                bytes32 key = bytes32(0);
                (bool byRule, uint64 expiry) = _checkIssuingAuthority(terms);
                if (byRule) {
                    address citizen = terms.applicantCitizen;
                    key = _benefitKey(terms.acceptingDepartment, terms.schema, citizen);
                    bytes32 held = _benefits[key];
                    if (held != bytes32(0) && _attestations.isValid(held)) {
                        revert BenefitAlreadyGranted(terms.acceptingDepartment, terms.schema, citizen, held);
                    }
                }
                uid = _attestations.attestFromApproval(
                    terms.acceptingDepartment,
                    terms.applicantCitizen,
                    terms.schema,
                    terms.documentsHash,
                    expiry,
                    terms.attestationRefUID
                );
                c.outcome = uid;
                // slither-disable-next-line reentrancy-no-eth (the immutable AttestationRegistry calls nothing back)
                if (key != bytes32(0)) _benefits[key] = uid;
            }
            emit CaseApproved(caseId, terms.acceptingDepartment, uid);
        } else {
            c.step = step + 1;
            c.approvals = 0;
            c.rejections = 0;
        }
    }

    /**
     * @dev R2-1, one rule for mixing the two ways to decide: an approver's word on the open step
     * is the vote recorded on chain, once cast. A signer of a submitted `Decision` who already
     * has a vote recorded on the open step `step` is refused (`ApprovalAlreadyVoted`), so an
     * older off-chain signature can never override (or double) that signer's on-chain vote.
     * Votes are kept for the open step only (cleared when the step advances), so later steps
     * decided in the same submission have none.
     */
    function _refuseSignersWhoVoted(CaseRecord storage c, bytes32 caseId, uint8 step, address[] memory signers)
        private
        view
    {
        uint256 length = uint256(c.approvals) + c.rejections;
        if (length == 0) return;
        mapping(uint256 index => uint256 vote) storage votes = _votes[caseId][step];
        for (uint256 i = 0; i < length; ++i) {
            address voter = address(uint160(votes[i]));
            for (uint256 j = 0; j < signers.length; ++j) {
                if (signers[j] == voter) revert ApprovalAlreadyVoted(caseId, step, voter);
            }
        }
    }

    /**
     * @dev Invariant 4, the one place that states which attestations a case may issue: the
     * authority a case carries is that of the APPROVERs who decided it, so `terms.schema` must
     * be one the accepting department's APPROVER role may attest, and the route must have either
     * a step of the accepting department (decided by `threshold` >= 1 of its APPROVERs), or a
     * RULE step of a rule its APPROVERs bound to `terms.schema` in a service in force
     * ({IServiceRegistry-servicesInForce}): signing a rule's requirements grants no benefit.
     * Such a case issues the benefit linked to no other attestation and valid for no longer than
     * the service's `validFor` from now, as the approvers signed, whatever its opener chose.
     * Checked at opening and again when the last approval issues the attestation.
     * @return byRule true when the authority comes from RULE steps alone (no signature step of
     * the accepting department): such a case issues one valid benefit per citizen ({_benefitKey})
     * @return expiry the benefit's expiry if issued now: the case's `attestationExpiry`, except
     * that on the rules' authority alone 0 stands for the service's `validFor` from now
     */
    function _checkIssuingAuthority(CaseTerms calldata terms) private view returns (bool byRule, uint64 expiry) {
        bytes32 schema = terms.schema;
        bytes32 accepting = terms.acceptingDepartment;
        if (!_attestations.canAttest(schema, accepting, ROLE_APPROVER)) {
            revert ApprovalSchemaNotAllowed(schema, accepting);
        }
        expiry = terms.attestationExpiry;
        Step[] calldata route = terms.route;
        uint256 length = route.length;
        for (uint256 i = 0; i < length; ++i) {
            if (route[i].threshold != 0 && route[i].department == accepting) return (false, expiry);
        }
        IServiceRegistry services = IServiceRegistry(address(_rules));
        bytes32 bound = bytes32(0);
        uint256 latest = 0;
        for (uint256 i = 0; i < length; ++i) {
            if (route[i].threshold != 0) continue;
            // a RULE step carries the authority of the approvers who bound its rule to this
            // schema, for as long as they said the benefit stays valid
            (uint256 count, uint64 validFor) = services.servicesInForce(accepting, route[i].department, schema);
            if (count == 0) continue;
            // on the rules' authority alone the benefit refers to no other attestation
            if (terms.attestationRefUID != bytes32(0)) revert ApprovalBenefitRefNotAllowed(terms.attestationRefUID);
            if (validFor == 0) return (true, expiry);
            // validFor <= MAX_VALIDITY (RuleRegistry), so this fits 64 bits
            uint256 until = block.timestamp + validFor;
            if (expiry == 0) return (true, uint64(until));
            if (expiry <= until) return (true, expiry);
            if (bound == bytes32(0)) (bound, latest) = (route[i].department, until);
        }
        if (bound != bytes32(0)) revert ApprovalBenefitExpiryNotAllowed(bound, expiry, latest);
        for (uint256 i = 0; i < length; ++i) {
            bytes32 ruleId = route[i].department;
            if (route[i].threshold == 0 && _rules.ruleOf(ruleId).department == accepting) {
                revert ApprovalRuleNotForSchema(ruleId, schema);
            }
        }
        revert ApprovalIssuerNotOnRoute(schema, accepting);
    }

    /**
     * @dev Recounts side `side` of step `step`'s votes when it reached `threshold` with the vote
     * just recorded at index `last` (whose voter was checked): returns that voter and the
     * earlier voters on that side who count as approvers now ({_countsAsApproverNow}), up to
     * `threshold`. If fewer do, the step stays open and the lapsed votes of that side are
     * discarded ({VoteDiscarded}), so the list stays bounded and a re-admitted approver may
     * vote again.
     */
    function _recount(
        CaseRecord storage c,
        bytes32 caseId,
        uint8 step,
        mapping(uint256 index => uint256 vote) storage votes,
        uint256 last,
        uint256 side,
        bytes32 department,
        uint8 threshold
    ) private returns (address[] memory counted) {
        counted = new address[](threshold);
        counted[0] = msg.sender;
        uint256 n = 1;
        for (uint256 i = 0; i < last && n < threshold; ++i) {
            uint256 v = votes[i];
            if (v & _APPROVE_BIT != side) continue;
            address voter = address(uint160(v));
            if (_countsAsApproverNow(voter, department)) counted[n++] = voter;
        }
        if (n == threshold) return counted;
        uint256 length = last + 1;
        for (uint256 i = last; i > 0; --i) {
            uint256 v = votes[i - 1];
            address voter = address(uint160(v));
            if (v & _APPROVE_BIT != side || _countsAsApproverNow(voter, department)) continue;
            votes[i - 1] = votes[--length];
            delete votes[length];
            if (side != 0) --c.approvals;
            else --c.rejections;
            emit VoteDiscarded(caseId, step, voter);
        }
        assembly ("memory-safe") {
            mstore(counted, n)
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
