// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

import {SignatureVerifier} from "../common/SignatureVerifier.sol";
import {IAnchorRegistry} from "../interfaces/IAnchorRegistry.sol";
import {IAttestationRegistry} from "../interfaces/IAttestationRegistry.sol";
import {ICitizenRegistry, DELEGATE_AGENT} from "../interfaces/ICitizenRegistry.sol";
import {IDataCatalog} from "../interfaces/IDataCatalog.sol";
import {IDepartmentRegistry, ROLE_APPROVER} from "../interfaces/IDepartmentRegistry.sol";
import {IObjectionRegistry} from "../interfaces/IObjectionRegistry.sol";

/**
 * @title ObjectionRegistry
 * @notice Objections and corrections (PIPL art. 46). See {IObjectionRegistry}.
 *
 * Every right is re-checked when it takes effect: the filer's and withdrawer's standing against
 * the citizen registry's current owner and delegate (owner epoch included), and, for a
 * decision, each co-signer's APPROVER role in the target's owner department and that
 * department's Active status, at submission.
 *
 * A decision carries {thresholdOf} the owner department (set by the council per department,
 * else {SIGNATURES}) EIP-712 `ObjectionDecision` signatures (OpenZeppelin
 * `SignatureChecker`: EOA or ERC-1271), each over a message that names its signer (R2-5), the
 * signers strictly ascending (no duplicates). The domain binds chain and contract; the
 * objection id is the message's unique id (an objection is decided once); a deadline bounds it.
 * Storage: two slots per objection for what a decision must check; the reason commitment and
 * the rest are in the events.
 */
contract ObjectionRegistry is IObjectionRegistry, SignatureVerifier {
    /// @notice `keccak256("ObjectionDecision(bytes32 objectionId,bool uphold,uint32 correctedVersion,bytes32 reasonCommitment,address signer,uint256 deadline)")`
    bytes32 public constant DECISION_TYPEHASH = keccak256(
        "ObjectionDecision(bytes32 objectionId,bool uphold,uint32 correctedVersion,bytes32 reasonCommitment,address signer,uint256 deadline)"
    );

    /// @inheritdoc IObjectionRegistry
    uint32 public constant DEFAULT_PERIOD = 15 days;
    /// @inheritdoc IObjectionRegistry
    uint32 public constant MIN_PERIOD = 1 days;
    /// @inheritdoc IObjectionRegistry
    uint32 public constant MAX_PERIOD = 90 days;
    /// @inheritdoc IObjectionRegistry
    uint256 public constant MAX_SIGNATURES = 16;
    /// @inheritdoc IObjectionRegistry
    uint256 public immutable SIGNATURES;

    IDepartmentRegistry private immutable _departments;
    ICitizenRegistry private immutable _citizens;
    IAttestationRegistry private immutable _attestations;
    IAnchorRegistry private immutable _anchors;

    mapping(bytes32 id => Objection) private _objections;
    mapping(bytes32 key => uint32 period) private _periods;
    mapping(bytes32 department => uint256 signatures) private _thresholds;

    /// @param signatures_ how many distinct approvers of an owner department sign a decision when
    /// the council set no threshold for it (1 to {MAX_SIGNATURES})
    constructor(
        IDepartmentRegistry departments_,
        ICitizenRegistry citizens_,
        IAttestationRegistry attestations_,
        IAnchorRegistry anchors_,
        uint256 signatures_
    ) EIP712("ObjectionRegistry", "1") {
        if (signatures_ == 0 || signatures_ > MAX_SIGNATURES) revert ObjectionInvalidThreshold(signatures_);
        SIGNATURES = signatures_;
        _departments = departments_;
        _citizens = citizens_;
        _attestations = attestations_;
        _anchors = anchors_;
    }

    // ---------------------------------------------------------------------------------------
    // File and withdraw (the citizen or her agent)
    // ---------------------------------------------------------------------------------------

    /// @inheritdoc IObjectionRegistry
    function fileAttestationObjection(address subject, AttestationRef calldata a, bytes32 reasonCommitment)
        external
        returns (bytes32 id)
    {
        _checkActsFor(subject);
        uint40 issuedAt = _attestations.getAttestation(a.uid).issuedAt;
        if (issuedAt == 0) revert ObjectionTargetNotFound(a.uid);
        bytes32 uid = keccak256(
            abi.encode(a.schema, subject, a.attester, a.department, a.dataHash, a.expiry, a.refUID, uint256(issuedAt))
        );
        if (uid != a.uid) revert ObjectionNotSubject(a.uid, subject);
        return _file(subject, TargetKind.Attestation, a.department, bytes32(0), a.uid, 0, a.schema, reasonCommitment);
    }

    /// @inheritdoc IObjectionRegistry
    function fileRecordObjection(address subject, bytes32 category, bytes32 recordId, bytes32 reasonCommitment)
        external
        returns (bytes32 id)
    {
        _checkActsFor(subject);
        bytes32 owner = IDataCatalog(address(_anchors)).ownerOf(category);
        if (owner == bytes32(0)) revert ObjectionTargetNotFound(category);
        uint32 version = _anchors.latestVersion(category, recordId);
        if (version == 0) revert ObjectionTargetNotFound(recordId);
        return _file(subject, TargetKind.Record, owner, category, recordId, version, category, reasonCommitment);
    }

    /// @inheritdoc IObjectionRegistry
    function withdraw(bytes32 id) external {
        Objection storage o = _open(id);
        address subject = o.subject;
        _checkActsFor(subject);
        o.status = ObjectionState.Withdrawn;
        emit ObjectionWithdrawn(id, subject, msg.sender);
    }

    // ---------------------------------------------------------------------------------------
    // Decide (k-of-n APPROVERs of the owner department, by signature)
    // ---------------------------------------------------------------------------------------

    /// @inheritdoc IObjectionRegistry
    function uphold(
        bytes32 id,
        uint32 correctedVersion,
        uint256 deadline,
        address[] calldata signers,
        bytes[] calldata signatures
    ) external {
        Objection storage o = _open(id);
        bytes32 owner = o.owner;
        _checkSigners(owner, id, true, correctedVersion, bytes32(0), deadline, signers, signatures);
        if (o.kind == TargetKind.Attestation) {
            if (_attestations.getAttestation(o.target).issuedAt != 0) revert ObjectionNotRevoked(o.target);
            if (correctedVersion != 0) revert ObjectionNotCorrected(o.target, correctedVersion, 0, 0);
        } else {
            uint32 latest = _anchors.latestVersion(o.category, o.target);
            if (correctedVersion <= o.version || correctedVersion > latest) {
                revert ObjectionNotCorrected(o.target, correctedVersion, o.version, latest);
            }
            o.correctedVersion = correctedVersion;
        }
        o.status = ObjectionState.Upheld;
        emit ObjectionUpheld(id, owner, correctedVersion, msg.sender, signers);
    }

    /// @inheritdoc IObjectionRegistry
    function reject(
        bytes32 id,
        bytes32 reasonCommitment,
        uint256 deadline,
        address[] calldata signers,
        bytes[] calldata signatures
    ) external {
        Objection storage o = _open(id);
        bytes32 owner = o.owner;
        if (reasonCommitment == bytes32(0)) revert ObjectionZeroCommitment();
        _checkSigners(owner, id, false, 0, reasonCommitment, deadline, signers, signatures);
        o.status = ObjectionState.Rejected;
        emit ObjectionRejected(id, owner, reasonCommitment, msg.sender, signers);
    }

    // ---------------------------------------------------------------------------------------
    // Periods (the council)
    // ---------------------------------------------------------------------------------------

    /// @inheritdoc IObjectionRegistry
    function setPeriod(bytes32 key, uint32 period) external {
        if (msg.sender != _departments.council()) revert ObjectionUnauthorizedCouncil(msg.sender);
        if (period != 0 && (period < MIN_PERIOD || period > MAX_PERIOD)) revert ObjectionInvalidPeriod(period);
        _periods[key] = period;
        emit ObjectionPeriodSet(key, period, msg.sender);
    }

    /// @inheritdoc IObjectionRegistry
    function setThreshold(bytes32 department, uint256 signatures) external {
        if (msg.sender != _departments.council()) revert ObjectionUnauthorizedCouncil(msg.sender);
        if (signatures > MAX_SIGNATURES) revert ObjectionInvalidThreshold(signatures);
        _thresholds[department] = signatures;
        emit ObjectionThresholdSet(department, signatures, msg.sender);
    }

    // ---------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------

    /// @inheritdoc IObjectionRegistry
    function state(bytes32 id) external view returns (ObjectionState) {
        Objection storage o = _objections[id];
        ObjectionState status = o.status;
        if (status == ObjectionState.Open && block.timestamp > o.deadline) return ObjectionState.Overdue;
        return status;
    }

    /// @inheritdoc IObjectionRegistry
    function objectionOf(bytes32 id) external view returns (Objection memory) {
        return _objections[id];
    }

    /// @inheritdoc IObjectionRegistry
    function objectionId(address subject, TargetKind kind, bytes32 category, bytes32 target, bytes32 reasonCommitment)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(subject, kind, category, target, reasonCommitment));
    }

    /// @inheritdoc IObjectionRegistry
    function decisionHash(
        bytes32 id,
        bool upheld,
        uint32 correctedVersion,
        bytes32 reasonCommitment,
        address signer,
        uint256 deadline
    ) external view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(abi.encode(DECISION_TYPEHASH, id, upheld, correctedVersion, reasonCommitment, signer, deadline))
        );
    }

    /// @inheritdoc IObjectionRegistry
    function periodOf(bytes32 key) public view returns (uint32) {
        uint32 period = _periods[key];
        return period == 0 ? DEFAULT_PERIOD : period;
    }

    /// @inheritdoc IObjectionRegistry
    function thresholdOf(bytes32 department) public view returns (uint256) {
        uint256 signatures = _thresholds[department];
        return signatures == 0 ? SIGNATURES : signatures;
    }

    /// @notice The registries this one reads: departments, citizens, attestations, anchors.
    function registries()
        external
        view
        returns (IDepartmentRegistry, ICitizenRegistry, IAttestationRegistry, IAnchorRegistry)
    {
        return (_departments, _citizens, _attestations, _anchors);
    }

    // ---------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------

    function _file(
        address subject,
        TargetKind kind,
        bytes32 owner,
        bytes32 category,
        bytes32 target,
        uint32 version,
        bytes32 periodKey,
        bytes32 reasonCommitment
    ) private returns (bytes32 id) {
        if (reasonCommitment == bytes32(0)) revert ObjectionZeroCommitment();
        id = objectionId(subject, kind, category, target, reasonCommitment);
        Objection storage o = _objections[id];
        if (o.status != ObjectionState.None) revert ObjectionExists(id);
        uint40 deadline = uint40(block.timestamp) + periodOf(periodKey);
        o.subject = subject;
        o.kind = kind;
        o.status = ObjectionState.Open;
        o.filedAt = uint40(block.timestamp);
        o.deadline = deadline;
        o.version = version;
        o.owner = owner;
        o.target = target;
        o.category = category;
        emit ObjectionFiled(id, subject, owner, kind, target, category, version, reasonCommitment, deadline, msg.sender);
    }

    /// @dev The objection, which must be Open (overdue included).
    function _open(bytes32 id) private view returns (Objection storage o) {
        o = _objections[id];
        ObjectionState status = o.status;
        if (status == ObjectionState.None) revert ObjectionUnknown(id);
        if (status != ObjectionState.Open) revert ObjectionNotOpen(id, status);
    }

    /// @dev The caller is the current owner of `subject` or her agent delegate valid under the
    /// current owner epoch (the citizen registry's one rule).
    function _actsFor(address subject, address account) private view returns (bool) {
        return _citizens.identityOwner(subject) == account || _citizens.validDelegate(subject, DELEGATE_AGENT, account);
    }

    function _checkActsFor(address subject) private view {
        if (!_actsFor(subject, msg.sender)) revert ObjectionUnauthorizedFiler(subject, msg.sender);
    }

    /**
     * @dev Invariant 2 for decisions: reverts unless `signers` (strictly ascending, exactly
     * {thresholdOf} `owner`) are each an active APPROVER of the Active department `owner` now, and each
     * signed, before `deadline`, the `ObjectionDecision` naming objection `id`, the outcome and
     * that signer.
     */
    function _checkSigners(
        bytes32 owner,
        bytes32 id,
        bool upheld,
        uint32 correctedVersion,
        bytes32 reasonCommitment,
        uint256 deadline,
        address[] calldata signers,
        bytes[] calldata signatures
    ) private view {
        if (block.timestamp > deadline) revert SignatureExpired(deadline);
        uint256 count = signers.length;
        _checkCount(owner, count, signatures.length);
        address previous = address(0);
        for (uint256 i = 0; i < count; ++i) {
            address signer = signers[i];
            if (signer <= previous) revert ObjectionSignerOrder(signer, previous);
            previous = signer;
        }
        // M-1 for all signers at once: each an active APPROVER of `owner`, Active now
        uint256 counted = _departments.activeMembersPrefix(owner, ROLE_APPROVER, signers);
        if (counted < count) _revertNotApprover(signers[counted], owner);
        for (uint256 i = 0; i < count; ++i) {
            bytes32 structHash = keccak256(
                abi.encode(DECISION_TYPEHASH, id, upheld, correctedVersion, reasonCommitment, signers[i], deadline)
            );
            _verifySignature(signers[i], structHash, deadline, signatures[i]);
        }
    }

    /// @dev Exactly {thresholdOf} `owner` signers, with as many signatures.
    function _checkCount(bytes32 owner, uint256 count, uint256 signatureCount) private view {
        uint256 required = thresholdOf(owner);
        if (count != required || signatureCount != count) {
            revert ObjectionInsufficientSignatures(count < signatureCount ? count : signatureCount, required);
        }
    }

    /// @dev Reverts with the most specific reason `account` may not decide for `owner`.
    function _revertNotApprover(address account, bytes32 owner) private view {
        // slither-disable-next-line unused-return (the roles are what activeMembersPrefix refused)
        (bytes32 current,, bool active) = _departments.memberOf(account);
        if (current != owner) revert ObjectionWrongDepartment(account, owner, current);
        if (!active) revert ObjectionDepartmentInactive(owner);
        revert ObjectionNotApprover(account, owner);
    }
}
