// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

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
 * the citizen registry's current owner and delegate (owner epoch included), the decider's
 * APPROVER role in the target's owner department, and that department's Active status.
 * Storage: two slots per objection for what a decision must check; the reason commitment and
 * the rest are in the events.
 */
contract ObjectionRegistry is IObjectionRegistry {
    /// @inheritdoc IObjectionRegistry
    uint32 public constant DEFAULT_PERIOD = 15 days;
    /// @inheritdoc IObjectionRegistry
    uint32 public constant MIN_PERIOD = 1 days;
    /// @inheritdoc IObjectionRegistry
    uint32 public constant MAX_PERIOD = 90 days;

    IDepartmentRegistry private immutable _departments;
    ICitizenRegistry private immutable _citizens;
    IAttestationRegistry private immutable _attestations;
    IAnchorRegistry private immutable _anchors;

    mapping(bytes32 id => Objection) private _objections;
    mapping(bytes32 key => uint32 period) private _periods;

    constructor(
        IDepartmentRegistry departments_,
        ICitizenRegistry citizens_,
        IAttestationRegistry attestations_,
        IAnchorRegistry anchors_
    ) {
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
    // Decide (an APPROVER of the owner department)
    // ---------------------------------------------------------------------------------------

    /// @inheritdoc IObjectionRegistry
    function uphold(bytes32 id, uint32 correctedVersion) external {
        Objection storage o = _open(id);
        bytes32 owner = o.owner;
        _checkApprover(owner);
        if (o.kind == TargetKind.Attestation) {
            if (_attestations.getAttestation(o.target).issuedAt != 0) revert ObjectionNotRevoked(o.target);
            correctedVersion = 0;
        } else {
            uint32 latest = _anchors.latestVersion(o.category, o.target);
            if (correctedVersion <= o.version || correctedVersion > latest) {
                revert ObjectionNotCorrected(o.target, correctedVersion, o.version, latest);
            }
            o.correctedVersion = correctedVersion;
        }
        o.status = ObjectionState.Upheld;
        emit ObjectionUpheld(id, owner, correctedVersion, msg.sender);
    }

    /// @inheritdoc IObjectionRegistry
    function reject(bytes32 id, bytes32 reasonCommitment) external {
        Objection storage o = _open(id);
        bytes32 owner = o.owner;
        _checkApprover(owner);
        if (reasonCommitment == bytes32(0)) revert ObjectionZeroCommitment();
        o.status = ObjectionState.Rejected;
        emit ObjectionRejected(id, owner, reasonCommitment, msg.sender);
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
    function periodOf(bytes32 key) public view returns (uint32) {
        uint32 period = _periods[key];
        return period == 0 ? DEFAULT_PERIOD : period;
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

    /// @dev The caller is an APPROVER of `owner`, which is Active, now.
    function _checkApprover(bytes32 owner) private view {
        (bytes32 current, uint8 roles, bool active) = _departments.memberOf(msg.sender);
        if (current != owner) revert ObjectionWrongDepartment(msg.sender, owner, current);
        if (!active) revert ObjectionDepartmentInactive(owner);
        if (roles & ROLE_APPROVER == 0) revert ObjectionNotApprover(msg.sender, owner);
    }
}
