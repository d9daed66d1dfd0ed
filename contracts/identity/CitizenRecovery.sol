// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ICitizenRecovery} from "../interfaces/ICitizenRecovery.sol";
import {IDepartmentRegistry} from "../interfaces/IDepartmentRegistry.sol";
import {CitizenOwnership} from "./CitizenOwnership.sol";

/**
 * @title CitizenRecovery
 * @notice Guardians, threshold and time lock for recovering a lost identity key, and the time
 * lock on owner and guardian changes while guardians are set. See {ICitizenRecovery}.
 */
abstract contract CitizenRecovery is CitizenOwnership, ICitizenRecovery {
    uint256 public constant MAX_GUARDIANS = 16;
    uint32 public constant MIN_RECOVERY_DELAY = 1 days;

    /// @notice `keccak256("SetGuardians(address identity,address[] guardians,uint8 threshold,uint32 delay,address owner,uint256 nonce,uint256 deadline)")`
    bytes32 public constant SET_GUARDIANS_TYPEHASH = keccak256(
        "SetGuardians(address identity,address[] guardians,uint8 threshold,uint32 delay,address owner,uint256 nonce,uint256 deadline)"
    );
    /// @notice `keccak256("CancelRecovery(address identity,address owner,uint256 nonce,uint256 deadline)")`
    bytes32 public constant CANCEL_RECOVERY_TYPEHASH =
        keccak256("CancelRecovery(address identity,address owner,uint256 nonce,uint256 deadline)");
    /// @notice `keccak256("ApproveRecovery(address identity,address newOwner,address guardian,uint256 epoch,uint256 deadline)")`
    bytes32 public constant APPROVE_RECOVERY_TYPEHASH = keccak256(
        "ApproveRecovery(address identity,address newOwner,address guardian,uint256 epoch,uint256 deadline)"
    );

    uint8 private constant _OWNER_CHANGE = 1;
    uint8 private constant _GUARDIAN_CHANGE = 2;

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
    /// @dev The department of each guardian when the set was chosen (zero: none).
    mapping(address identity => bytes32[]) private _guardianDepts;
    mapping(address identity => mapping(address newOwner => Recovery)) private _recoveries;
    mapping(address identity => QueuedChange) private _queued;

    constructor(IDepartmentRegistry departments_) {
        _departments = departments_;
    }

    /// @inheritdoc ICitizenRecovery
    function guardianSet(address identity) external view returns (GuardianSet memory) {
        Config memory c = _configs[identity];
        return GuardianSet(_guardians[identity], c.threshold, c.delay, c.epoch);
    }

    /// @inheritdoc ICitizenRecovery
    function guardianDepartments(address identity) external view returns (bytes32[] memory) {
        return _guardianDepts[identity];
    }

    /// @inheritdoc ICitizenRecovery
    function recoveryStatus(address identity, address newOwner) external view returns (RecoveryStatus memory) {
        Config memory c = _configs[identity];
        Recovery memory r = _recoveries[identity][newOwner];
        bool active = c.threshold != 0 && r.epoch == c.epoch && r.count != 0;
        return active ? RecoveryStatus(r.count, r.readyAt, true) : RecoveryStatus(0, 0, false);
    }

    /// @inheritdoc ICitizenRecovery
    function queuedChange(address identity) public view returns (QueuedChange memory q) {
        q = _queued[identity];
        if (q.ownerEpoch != ownerEpoch(identity)) q = QueuedChange(bytes32(0), 0, 0);
    }

    /// @inheritdoc ICitizenRecovery
    function setGuardians(address identity, address[] calldata guardians, uint8 threshold, uint32 delay) external {
        _onlyOwner(identity);
        _requestGuardianChange(identity, guardians, threshold, delay);
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
        _useSignedNonce(
            identity,
            abi.encode(
                SET_GUARDIANS_TYPEHASH,
                identity,
                keccak256(abi.encodePacked(guardians)),
                threshold,
                delay,
                identityOwner(identity)
            ),
            deadline,
            signature
        );
        _requestGuardianChange(identity, guardians, threshold, delay);
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
            keccak256(abi.encode(APPROVE_RECOVERY_TYPEHASH, identity, newOwner, guardian, epoch, deadline)),
            deadline,
            signature
        );
        _approveRecovery(identity, newOwner, guardian);
    }

    /// @inheritdoc ICitizenRecovery
    function finalizeRecovery(address identity, address newOwner) external {
        Config storage config = _configs[identity];
        Recovery memory recovery = _recoveries[identity][newOwner];
        uint8 threshold = config.threshold;
        if (threshold == 0 || recovery.epoch != config.epoch || recovery.readyAt == 0) {
            revert CitizenRecoveryNotQueued(identity, newOwner);
        }
        if (block.timestamp < recovery.readyAt) {
            revert CitizenRecoveryLocked(identity, newOwner, recovery.readyAt);
        }
        uint256 counted = _countStanding(identity, recovery.approvals);
        if (counted < threshold) revert CitizenRecoveryApprovalsLapsed(identity, newOwner, counted, threshold);
        ++config.epoch; // the other candidates' approvals are void
        emit RecoveryFinalized(identity, newOwner, msg.sender);
        _setOwner(identity, newOwner);
    }

    /// @inheritdoc ICitizenRecovery
    function cancelRecovery(address identity) external {
        _cancelRecovery(identity, _onlyOwner(identity));
    }

    /// @inheritdoc ICitizenRecovery
    function cancelRecoverySigned(address identity, uint256 deadline, bytes calldata signature) external {
        address owner = _useSignedNonce(
            identity, abi.encode(CANCEL_RECOVERY_TYPEHASH, identity, identityOwner(identity)), deadline, signature
        );
        _cancelRecovery(identity, owner);
    }

    /// @inheritdoc ICitizenRecovery
    function executeOwnerChange(address identity, address newOwner) external {
        _takeQueued(identity, keccak256(abi.encode(_OWNER_CHANGE, newOwner)));
        _setOwner(identity, newOwner);
    }

    /// @inheritdoc ICitizenRecovery
    function executeGuardianChange(address identity, address[] calldata guardians, uint8 threshold, uint32 delay)
        external
    {
        _takeQueued(identity, _guardianChangeHash(guardians, threshold, delay));
        _setGuardians(identity, guardians, threshold, delay);
    }

    /// @inheritdoc ICitizenRecovery
    function cancelQueuedChange(address identity) external {
        if (msg.sender != identityOwner(identity)) {
            if (!_isGuardian(identity, msg.sender)) revert CitizenNotOwnerOrGuardian(identity, msg.sender);
            _requireStanding(identity, msg.sender); // a guardian's veto passes the same rule as its approval
        }
        bytes32 changeHash = queuedChange(identity).changeHash;
        // slither-disable-next-line incorrect-equality (zero means "nothing queued")
        if (changeHash == bytes32(0)) revert CitizenChangeNotQueued(identity, changeHash);
        delete _queued[identity];
        emit QueuedChangeCancelled(identity, changeHash, msg.sender);
    }

    // ---------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------

    /// @dev Owner changes by the owner's key: immediate without guardians, else queued.
    function _requestOwnerChange(address identity, address, address newOwner) internal override {
        if (newOwner == address(0)) revert CitizenZeroAddress();
        Config memory config = _configs[identity];
        if (config.threshold == 0) {
            _setOwner(identity, newOwner);
            return;
        }
        bytes32 changeHash = keccak256(abi.encode(_OWNER_CHANGE, newOwner));
        emit OwnerChangeQueued(identity, changeHash, newOwner, _queue(identity, changeHash, config.delay), msg.sender);
    }

    function _requestGuardianChange(address identity, address[] calldata guardians, uint8 threshold, uint32 delay)
        private
    {
        _checkGuardians(guardians, threshold, delay);
        Config memory config = _configs[identity];
        if (config.threshold == 0) {
            _setGuardians(identity, guardians, threshold, delay);
            return;
        }
        bytes32 changeHash = _guardianChangeHash(guardians, threshold, delay);
        uint64 readyAt = _queue(identity, changeHash, config.delay);
        emit GuardianChangeQueued(identity, changeHash, guardians, threshold, delay, readyAt, msg.sender);
    }

    function _guardianChangeHash(address[] calldata guardians, uint8 threshold, uint32 delay)
        private
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(_GUARDIAN_CHANGE, keccak256(abi.encodePacked(guardians)), threshold, delay));
    }

    function _queue(address identity, bytes32 changeHash, uint32 delay) private returns (uint64 readyAt) {
        readyAt = uint64(block.timestamp) + delay;
        _queued[identity] = QueuedChange(changeHash, readyAt, uint32(ownerEpoch(identity)));
    }

    /// @dev Reverts unless `changeHash` is queued for `identity` and unlocked; then clears it.
    function _takeQueued(address identity, bytes32 changeHash) private {
        QueuedChange memory q = queuedChange(identity);
        if (q.changeHash != changeHash || changeHash == bytes32(0)) revert CitizenChangeNotQueued(identity, changeHash);
        if (block.timestamp < q.readyAt) revert CitizenChangeLocked(identity, changeHash, q.readyAt);
        delete _queued[identity];
    }

    function _setGuardians(address identity, address[] calldata guardians, uint8 threshold, uint32 delay) private {
        bytes32[] memory departments = _checkGuardians(guardians, threshold, delay);
        Config storage config = _configs[identity];
        config.threshold = threshold;
        config.delay = delay;
        ++config.epoch;
        _guardians[identity] = guardians;
        _guardianDepts[identity] = departments;
        emit GuardiansChanged(identity, guardians, threshold, delay, msg.sender);
    }

    function _checkGuardians(address[] calldata guardians, uint8 threshold, uint32 delay)
        private
        view
        returns (bytes32[] memory departments)
    {
        uint256 n = guardians.length;
        if (n > MAX_GUARDIANS) revert CitizenTooManyGuardians(n, MAX_GUARDIANS);
        if (n == 0 ? threshold != 0 : (threshold < 2 || threshold > n)) {
            revert CitizenInvalidGuardianThreshold(threshold, n);
        }
        if (n != 0 && delay < MIN_RECOVERY_DELAY) revert CitizenRecoveryDelayTooShort(delay, MIN_RECOVERY_DELAY);
        departments = new bytes32[](n);
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

    /**
     * @dev The one rule for a guardian's standing: guardian `i` of `identity` counts only while
     * it is in the department it was chosen in, and that department is Active (a guardian
     * chosen without a department counts while it still has none and the council has not marked
     * its key compromised; a compromised key is in no department, so one chosen in a department
     * already fails the first test). Returns its current department.
     */
    function _standing(address identity, uint256 i) private view returns (bool ok, bytes32 chosen, bytes32 current) {
        chosen = _guardianDepts[identity][i];
        address guardian = _guardians[identity][i];
        // slither-disable-next-line unused-return (roles do not matter for a guardian)
        (bytes32 department,, bool active) = _departments.memberOf(guardian);
        current = department;
        ok = department == chosen
            && (chosen == bytes32(0) ? _departments.compromisedSince(guardian) == 0 : active);
    }

    /// @dev Reverts unless `guardian` is a guardian of `identity` that stands by {_standing}.
    function _requireStanding(address identity, address guardian) private view returns (uint256 index) {
        index = _guardianIndex(identity, guardian);
        (bool ok, bytes32 chosen, bytes32 current) = _standing(identity, index);
        if (!ok) revert CitizenGuardianDepartmentChanged(identity, guardian, chosen, current);
    }

    function _countStanding(address identity, uint16 approvals) private view returns (uint256 counted) {
        uint256 n = _guardians[identity].length;
        for (uint256 i = 0; i < n; ++i) {
            if (approvals & (1 << i) == 0) continue;
            (bool ok,,) = _standing(identity, i);
            if (ok) ++counted;
        }
    }

    function _approveRecovery(address identity, address newOwner, address guardian) private {
        Config memory config = _configs[identity];
        uint256 bit = 1 << _requireStanding(identity, guardian);
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

    function _cancelRecovery(address identity, address owner) private {
        ++_configs[identity].epoch;
        emit RecoveryCancelled(identity, owner, msg.sender);
    }

    function _isGuardian(address identity, address account) private view returns (bool) {
        address[] storage guardians = _guardians[identity];
        uint256 n = guardians.length;
        for (uint256 i = 0; i < n; ++i) {
            if (guardians[i] == account) return true;
        }
        return false;
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
