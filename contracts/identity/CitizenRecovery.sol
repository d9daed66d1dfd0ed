// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ICitizenRecovery} from "../interfaces/ICitizenRecovery.sol";
import {IDepartmentRegistry} from "../interfaces/IDepartmentRegistry.sol";
import {CitizenOwnership} from "./CitizenOwnership.sol";

/**
 * @title CitizenRecovery
 * @notice Guardians, threshold and time lock for recovering a lost identity key. See
 * {ICitizenRecovery}.
 */
abstract contract CitizenRecovery is CitizenOwnership, ICitizenRecovery {
    uint256 public constant MAX_GUARDIANS = 16;
    uint32 public constant MIN_RECOVERY_DELAY = 1 days;

    /// @notice `keccak256("SetGuardians(address identity,address[] guardians,uint8 threshold,uint32 delay,uint256 nonce,uint256 deadline)")`
    bytes32 public constant SET_GUARDIANS_TYPEHASH = keccak256(
        "SetGuardians(address identity,address[] guardians,uint8 threshold,uint32 delay,uint256 nonce,uint256 deadline)"
    );
    /// @notice `keccak256("CancelRecovery(address identity,uint256 nonce,uint256 deadline)")`
    bytes32 public constant CANCEL_RECOVERY_TYPEHASH =
        keccak256("CancelRecovery(address identity,uint256 nonce,uint256 deadline)");
    /// @notice `keccak256("ApproveRecovery(address identity,address newOwner,uint256 epoch,uint256 deadline)")`
    bytes32 public constant APPROVE_RECOVERY_TYPEHASH =
        keccak256("ApproveRecovery(address identity,address newOwner,uint256 epoch,uint256 deadline)");

    struct Config {
        uint8 threshold; // zero: no recovery
        uint32 delay;
        uint32 epoch; // bumped by every guardian change, cancellation and recovery
    }

    struct Recovery {
        uint64 readyAt;
        uint32 epoch;
        uint16 approvals; // bit i: guardian i approved
        uint8 count;
    }

    IDepartmentRegistry private immutable _departments;

    mapping(address identity => Config) private _configs;
    mapping(address identity => address[]) private _guardians;
    mapping(address identity => mapping(address newOwner => Recovery)) private _recoveries;

    constructor(IDepartmentRegistry departments_) {
        _departments = departments_;
    }

    /// @inheritdoc ICitizenRecovery
    function guardianSet(address identity) external view returns (GuardianSet memory) {
        Config memory c = _configs[identity];
        return GuardianSet(_guardians[identity], c.threshold, c.delay, c.epoch);
    }

    /// @inheritdoc ICitizenRecovery
    function recoveryStatus(address identity, address newOwner) external view returns (RecoveryStatus memory) {
        Config memory c = _configs[identity];
        Recovery memory r = _recoveries[identity][newOwner];
        bool active = c.threshold != 0 && r.epoch == c.epoch && r.count != 0;
        return active ? RecoveryStatus(r.count, r.readyAt, true) : RecoveryStatus(0, 0, false);
    }

    /// @inheritdoc ICitizenRecovery
    function setGuardians(address identity, address[] calldata guardians, uint8 threshold, uint32 delay) external {
        _setGuardians(identity, _onlyOwner(identity), guardians, threshold, delay, false);
    }

    /// @inheritdoc ICitizenRecovery
    function setGuardiansSigned(
        address identity,
        address[] calldata guardians,
        uint8 threshold,
        uint32 delay,
        uint256 deadline,
        bytes calldata signature
    ) external {
        (address owner, uint256 nonce) = _ownerAndNonce(identity);
        bytes32 structHash = keccak256(
            abi.encode(
                SET_GUARDIANS_TYPEHASH,
                identity,
                keccak256(abi.encodePacked(guardians)),
                threshold,
                delay,
                nonce,
                deadline
            )
        );
        _verifySignature(owner, structHash, deadline, signature);
        _setGuardians(identity, owner, guardians, threshold, delay, true);
    }

    /// @inheritdoc ICitizenRecovery
    function approveRecovery(address identity, address newOwner) external {
        _approveRecovery(identity, newOwner, msg.sender);
    }

    /// @inheritdoc ICitizenRecovery
    function approveRecoveryBySig(
        address identity,
        address newOwner,
        address guardian,
        uint256 deadline,
        bytes calldata signature
    ) external {
        uint256 epoch = _configs[identity].epoch;
        _verifySignature(
            guardian,
            keccak256(abi.encode(APPROVE_RECOVERY_TYPEHASH, identity, newOwner, epoch, deadline)),
            deadline,
            signature
        );
        _approveRecovery(identity, newOwner, guardian);
    }

    /// @inheritdoc ICitizenRecovery
    function finalizeRecovery(address identity, address newOwner) external {
        Config storage config = _configs[identity];
        Recovery memory recovery = _recoveries[identity][newOwner];
        if (config.threshold == 0 || recovery.epoch != config.epoch || recovery.readyAt == 0) {
            revert CitizenRecoveryNotQueued(identity, newOwner);
        }
        if (block.timestamp < recovery.readyAt) {
            revert CitizenRecoveryLocked(identity, newOwner, recovery.readyAt);
        }
        ++config.epoch; // the other candidates' approvals are void
        uint256 previousChange = _touch(identity, newOwner, false);
        emit RecoveryFinalized(identity, newOwner, msg.sender);
        emit OwnerChanged(identity, newOwner, msg.sender, previousChange);
    }

    /// @inheritdoc ICitizenRecovery
    function cancelRecovery(address identity) external {
        _cancelRecovery(identity, _onlyOwner(identity), false);
    }

    /// @inheritdoc ICitizenRecovery
    function cancelRecoverySigned(address identity, uint256 deadline, bytes calldata signature) external {
        (address owner, uint256 nonce) = _ownerAndNonce(identity);
        _verifySignature(
            owner, keccak256(abi.encode(CANCEL_RECOVERY_TYPEHASH, identity, nonce, deadline)), deadline, signature
        );
        _cancelRecovery(identity, owner, true);
    }

    // ---------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------

    function _setGuardians(
        address identity,
        address owner,
        address[] calldata guardians,
        uint8 threshold,
        uint32 delay,
        bool signed
    ) private {
        _checkGuardians(guardians, threshold, delay);
        Config storage config = _configs[identity];
        config.threshold = threshold;
        config.delay = delay;
        ++config.epoch;
        _guardians[identity] = guardians;
        uint256 previousChange = _touch(identity, owner, signed);
        emit GuardiansChanged(identity, guardians, threshold, delay, previousChange);
    }

    function _checkGuardians(address[] calldata guardians, uint8 threshold, uint32 delay) private view {
        uint256 n = guardians.length;
        if (n > MAX_GUARDIANS) revert CitizenTooManyGuardians(n, MAX_GUARDIANS);
        if (n == 0 ? threshold != 0 : (threshold < 2 || threshold > n)) {
            revert CitizenInvalidGuardianThreshold(threshold, n);
        }
        if (n != 0 && delay < MIN_RECOVERY_DELAY) revert CitizenRecoveryDelayTooShort(delay, MIN_RECOVERY_DELAY);
        bytes32[] memory departments = new bytes32[](n);
        for (uint256 i = 0; i < n; ++i) {
            address g = guardians[i];
            if (g == address(0)) revert CitizenInvalidGuardian(g);
            // slither-disable-next-line unused-return (only the guardian's department matters here)
            (bytes32 department,,) = _departments.memberOf(g);
            for (uint256 j = 0; j < i; ++j) {
                if (guardians[j] == g) revert CitizenInvalidGuardian(g);
                if (department != bytes32(0) && departments[j] == department) {
                    revert CitizenGuardiansShareDepartment(department);
                }
            }
            departments[i] = department;
        }
    }

    function _approveRecovery(address identity, address newOwner, address guardian) private {
        Config memory config = _configs[identity];
        uint256 bit = 1 << _guardianIndex(identity, guardian);
        if (newOwner == address(0)) revert CitizenZeroAddress();
        Recovery memory r = _recoveries[identity][newOwner];
        if (r.epoch != config.epoch) r = Recovery(0, config.epoch, 0, 0);
        if (r.approvals & bit != 0) revert CitizenRecoveryAlreadyApproved(identity, newOwner, guardian);
        r.approvals |= uint16(bit);
        ++r.count;
        emit RecoveryApproved(identity, newOwner, guardian, r.count);
        if (r.count == config.threshold) {
            r.readyAt = uint64(block.timestamp) + config.delay;
            emit RecoveryQueued(identity, newOwner, r.readyAt);
        }
        _recoveries[identity][newOwner] = r;
    }

    function _cancelRecovery(address identity, address owner, bool signed) private {
        ++_configs[identity].epoch;
        uint256 previousChange = _touch(identity, owner, signed);
        emit RecoveryCancelled(identity, owner, previousChange);
    }

    function _guardianIndex(address identity, address account) private view returns (uint256) {
        address[] storage guardians = _guardians[identity];
        uint256 n = guardians.length;
        for (uint256 i = 0; i < n; ++i) {
            if (guardians[i] == account) return i;
        }
        revert CitizenNotGuardian(identity, account);
    }
}
