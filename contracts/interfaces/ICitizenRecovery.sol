// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title ICitizenRecovery
 * @notice Social recovery of a citizen identity whose key is lost.
 *
 * The owner names guardians (relatives, a notary, departments' keys), a threshold of at least
 * two and a time lock. Guardians approve a new owner; once `threshold` of them approved the same
 * new owner, the time lock starts; during it the current owner can cancel; after it anyone can
 * finalise. No single party can take an identity over: the threshold is at least two, and no two
 * guardians may be keys of the same department (checked when the set is chosen), so Public
 * Security, or any department, alone can never reach the threshold. Several candidate owners can
 * collect approvals side by side, so a rogue guardian cannot block the others by proposing first.
 * Changing the guardians or cancelling voids every pending recovery (a new epoch).
 */
interface ICitizenRecovery {
    /// @notice What recovery of an identity needs.
    struct GuardianSet {
        address[] guardians;
        uint8 threshold;
        uint32 delay;
        uint32 epoch;
    }

    /// @notice The state of one candidate owner's recovery.
    struct RecoveryStatus {
        uint8 approvals;
        uint64 readyAt; // zero until the threshold is reached
        bool active; // false once voided by a new epoch or never started
    }

    /// @notice A guardian is the zero address or named twice.
    error CitizenInvalidGuardian(address guardian);
    /// @notice More guardians than {MAX_GUARDIANS}.
    error CitizenTooManyGuardians(uint256 count, uint256 max);
    /// @notice The threshold must be between 2 and the number of guardians (0 with no guardians).
    error CitizenInvalidGuardianThreshold(uint8 threshold, uint256 guardians);
    /// @notice The time lock is shorter than {MIN_RECOVERY_DELAY}.
    error CitizenRecoveryDelayTooShort(uint32 delay, uint32 min);
    /// @notice Two guardians belong to `department`: it alone could come close to the threshold.
    error CitizenGuardiansShareDepartment(bytes32 department);
    /// @notice `account` is not a guardian of `identity`.
    error CitizenNotGuardian(address identity, address account);
    /// @notice `guardian` approved this recovery already.
    error CitizenRecoveryAlreadyApproved(address identity, address newOwner, address guardian);
    /// @notice The recovery to `newOwner` has not reached its threshold (or was voided).
    error CitizenRecoveryNotQueued(address identity, address newOwner);
    /// @notice The recovery's time lock runs until `readyAt`.
    error CitizenRecoveryLocked(address identity, address newOwner, uint64 readyAt);

    /// @notice The owner chose guardians; every pending recovery is void.
    event GuardiansChanged(
        address indexed identity, address[] guardians, uint8 threshold, uint32 delay, uint256 previousChange
    );
    /// @notice `guardian` approved handing `identity` to `newOwner` (`approvals` so far).
    event RecoveryApproved(
        address indexed identity, address indexed newOwner, address indexed guardian, uint256 approvals
    );
    /// @notice The threshold was reached; the recovery may be finalised from `readyAt`.
    event RecoveryQueued(address indexed identity, address indexed newOwner, uint64 readyAt);
    /// @notice The owner voided every pending recovery of `identity`.
    event RecoveryCancelled(address indexed identity, address indexed owner, uint256 previousChange);
    /// @notice `identity` was handed to `newOwner` by recovery; `by` sent the transaction.
    event RecoveryFinalized(address indexed identity, address indexed newOwner, address indexed by);

    /// @notice The guardians, threshold, time lock and epoch of `identity`.
    function guardianSet(address identity) external view returns (GuardianSet memory);

    /// @notice The recovery of `identity` to `newOwner` in the current epoch.
    function recoveryStatus(address identity, address newOwner) external view returns (RecoveryStatus memory);

    /**
     * @notice Chooses the guardians of `identity` (an empty list turns recovery off).
     *
     * Requirements: the caller owns `identity`; no zero or repeated guardian; at most
     * {MAX_GUARDIANS}; 2 <= `threshold` <= guardians (0 with none); `delay` >= {MIN_RECOVERY_DELAY};
     * no two guardians in the same department.
     *
     * Emits {GuardiansChanged}.
     */
    function setGuardians(address identity, address[] calldata guardians, uint8 threshold, uint32 delay) external;

    /**
     * @notice {setGuardians} signed by the owner (EIP-712 `SetGuardians(address identity,address[]
     * guardians,uint8 threshold,uint32 delay,uint256 nonce,uint256 deadline)`).
     */
    function setGuardiansSigned(
        address identity,
        address[] calldata guardians,
        uint8 threshold,
        uint32 delay,
        uint256 deadline,
        bytes calldata signature
    ) external;

    /**
     * @notice The caller, a guardian, approves handing `identity` to `newOwner` (the first
     * approval proposes it).
     *
     * Requirements: the caller is a guardian of `identity`; `newOwner` not zero; not approved yet.
     *
     * Emits {RecoveryApproved}, and {RecoveryQueued} when the threshold is reached.
     */
    function approveRecovery(address identity, address newOwner) external;

    /**
     * @notice {approveRecovery} signed by `guardian` (EIP-712 `ApproveRecovery(address identity,
     * address newOwner,uint256 epoch,uint256 deadline)`); the approval bit stops replays, the epoch
     * stops reuse after a cancellation.
     */
    function approveRecoveryBySig(
        address identity,
        address newOwner,
        address guardian,
        uint256 deadline,
        bytes calldata signature
    ) external;

    /**
     * @notice Hands `identity` to `newOwner` once its time lock has passed. Anyone may call.
     *
     * Emits {RecoveryFinalized} and {OwnerChanged}.
     */
    function finalizeRecovery(address identity, address newOwner) external;

    /**
     * @notice The owner voids every pending recovery of `identity`.
     *
     * Requirements: the caller owns `identity`. Emits {RecoveryCancelled}.
     */
    function cancelRecovery(address identity) external;

    /**
     * @notice {cancelRecovery} signed by the owner (EIP-712
     * `CancelRecovery(address identity,uint256 nonce,uint256 deadline)`).
     */
    function cancelRecoverySigned(address identity, uint256 deadline, bytes calldata signature) external;
}
