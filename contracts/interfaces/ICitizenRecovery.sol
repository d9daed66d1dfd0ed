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
 * guardians may be keys of the same department, so Public Security, or any department, alone can
 * never reach the threshold. A guardian's department is fixed when the set is chosen (none, for a
 * relative): the guardian's approval counts only while the key is still in that department, Active
 * (or, for a guardian chosen without one, still in none). A key that left its department, moved to
 * another (perhaps another guardian's), or joined one counts for nothing until the owner chooses
 * the guardians again; this is checked when it approves and again, for every approval, when the
 * recovery is finalised. Several candidate owners can collect approvals side by side, so a rogue
 * guardian cannot block the others by proposing first. Changing the guardians or cancelling voids
 * every pending recovery (a new epoch). A recovery is an owner change: it opens a new owner epoch
 * (see {ICitizenRegistry}).
 *
 * While an identity has guardians, the owner key alone cannot change the owner or the guardians
 * at once (a stolen key could otherwise switch recovery off and take the identity): the change is
 * queued for the guardians' time lock, during which the owner or any guardian cancels it, then
 * anyone executes it. One change is queued at a time (a new one replaces it); an owner change,
 * by recovery or otherwise, voids it. Without guardians, changes are immediate.
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

    /**
     * @notice A change the owner queued while guardians watch (one per identity). Its hash is
     * `keccak256(abi.encode(uint8(1), newOwner))` for an owner change and
     * `keccak256(abi.encode(uint8(2), keccak256(abi.encodePacked(guardians)), threshold, delay))`
     * for a guardian change.
     */
    struct QueuedChange {
        bytes32 changeHash; // keccak256 of the kind and the arguments; zero: nothing queued
        uint64 readyAt;
        uint32 ownerEpoch; // the owner epoch it was queued under; void after an owner change
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
    /// @notice `guardian` was chosen in department `chosen` (zero: none) but is now in
    /// `current` (or its department is not Active, or its key was marked compromised): its
    /// approval or cancellation does not count.
    error CitizenGuardianDepartmentChanged(address identity, address guardian, bytes32 chosen, bytes32 current);
    /// @notice Only `counted` of the approvals of this recovery still count (a guardian left or
    /// changed department); `threshold` are needed.
    error CitizenRecoveryApprovalsLapsed(address identity, address newOwner, uint256 counted, uint256 threshold);
    /// @notice The queued change `changeHash` of `identity` is locked until `readyAt`.
    error CitizenChangeLocked(address identity, bytes32 changeHash, uint64 readyAt);
    /// @notice No change `changeHash` is queued for `identity` (never, cancelled, replaced, or
    /// voided by an owner change).
    error CitizenChangeNotQueued(address identity, bytes32 changeHash);
    /// @notice `caller` is neither the owner nor a guardian of `identity`.
    error CitizenNotOwnerOrGuardian(address identity, address caller);

    /// @notice The owner chose guardians; every pending recovery is void. `sender` sent the
    /// transaction (the owner, a relayer, or whoever executed a queued change).
    event GuardiansChanged(
        address indexed identity, address[] guardians, uint8 threshold, uint32 delay, address sender
    );
    /// @notice The owner asked to hand `identity` to `newOwner`; guardians watch, so it waits
    /// until `readyAt` and may be cancelled until executed.
    event OwnerChangeQueued(
        address indexed identity, bytes32 indexed changeHash, address newOwner, uint64 readyAt, address sender
    );
    /// @notice The owner asked to change the guardians; it waits until `readyAt`.
    event GuardianChangeQueued(
        address indexed identity,
        bytes32 indexed changeHash,
        address[] guardians,
        uint8 threshold,
        uint32 delay,
        uint64 readyAt,
        address sender
    );
    /// @notice The queued change `changeHash` was cancelled by `sender` (the owner or a guardian).
    event QueuedChangeCancelled(address indexed identity, bytes32 indexed changeHash, address sender);
    /// @notice `guardian` approved handing `identity` to `newOwner` (`approvals` so far).
    event RecoveryApproved(
        address indexed identity, address indexed newOwner, address indexed guardian, uint256 approvals
    );
    /// @notice The threshold was reached; the recovery may be finalised from `readyAt`.
    event RecoveryQueued(address indexed identity, address indexed newOwner, uint64 readyAt);
    /// @notice The owner voided every pending recovery of `identity`.
    event RecoveryCancelled(address indexed identity, address indexed owner, address sender);
    /// @notice `identity` was handed to `newOwner` by recovery; `by` sent the transaction.
    event RecoveryFinalized(address indexed identity, address indexed newOwner, address indexed by);

    /// @notice The guardians, threshold, time lock and epoch of `identity`.
    function guardianSet(address identity) external view returns (GuardianSet memory);

    /// @notice The recovery of `identity` to `newOwner` in the current epoch.
    function recoveryStatus(address identity, address newOwner) external view returns (RecoveryStatus memory);

    /// @notice The change queued for `identity` (zero hash: none, or voided by an owner change).
    function queuedChange(address identity) external view returns (QueuedChange memory);

    /// @notice The department each guardian of `identity` was in when chosen (zero: none).
    function guardianDepartments(address identity) external view returns (bytes32[] memory);

    /**
     * @notice Chooses the guardians of `identity` (an empty list turns recovery off): at once if
     * it has none, else queued for the current guardians' time lock.
     *
     * Requirements: the caller owns `identity`; no zero or repeated guardian; at most
     * {MAX_GUARDIANS}; 2 <= `threshold` <= guardians (0 with none); `delay` >= {MIN_RECOVERY_DELAY};
     * no two guardians in the same department.
     *
     * Emits {GuardiansChanged}, or {GuardianChangeQueued}.
     */
    function setGuardians(address identity, address[] calldata guardians, uint8 threshold, uint32 delay) external;

    /**
     * @notice {setGuardians} signed by the owner (EIP-712 `SetGuardians(address identity,address[]
     * guardians,uint8 threshold,uint32 delay,address owner,uint256 nonce,uint256 deadline)`).
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
     * Requirements: the caller is a guardian of `identity`, still in the department it was
     * chosen in; `newOwner` not zero; not approved yet.
     *
     * Emits {RecoveryApproved}, and {RecoveryQueued} when the threshold is reached.
     */
    function approveRecovery(address identity, address newOwner) external;

    /**
     * @notice {approveRecovery} signed by `guardian` (EIP-712 `ApproveRecovery(address identity,
     * address newOwner,address guardian,uint256 epoch,uint256 deadline)`); the approval bit stops
     * replays, the epoch stops reuse after a cancellation, the named guardian stops two guardian
     * wallets from sharing one signature.
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
     * Requirements: queued; time lock passed; at least `threshold` of its approvals still count
     * (each approving guardian still in the department it was chosen in).
     *
     * Emits {RecoveryFinalized}, {ICitizenRegistry-DIDOwnerChanged} and
     * {ICitizenRegistry-OwnerEpochChanged}.
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
     * `CancelRecovery(address identity,address owner,uint256 nonce,uint256 deadline)`).
     */
    function cancelRecoverySigned(address identity, uint256 deadline, bytes calldata signature) external;

    /**
     * @notice Executes the queued owner change of `identity` to `newOwner`. Anyone may call.
     *
     * Requirements: that change is queued (in this owner epoch) and its time lock has passed.
     *
     * Emits {ICitizenRegistry-DIDOwnerChanged} and {ICitizenRegistry-OwnerEpochChanged}.
     */
    function executeOwnerChange(address identity, address newOwner) external;

    /**
     * @notice Executes the queued guardian change of `identity`. Anyone may call.
     *
     * Requirements: that change is queued (in this owner epoch), its time lock has passed, and
     * the new set is still valid. Emits {GuardiansChanged}.
     */
    function executeGuardianChange(address identity, address[] calldata guardians, uint8 threshold, uint32 delay)
        external;

    /**
     * @notice The owner or any guardian that still stands cancels the change queued for
     * `identity`.
     *
     * Requirements: a change is queued; the caller is the owner, or a guardian that passes the
     * same standing rule as a recovery approval (still in the department it was chosen in, that
     * department Active; chosen without one: still in none and its key not marked compromised),
     * else {CitizenGuardianDepartmentChanged}.
     *
     * Design trade-off: any one standing guardian can cancel (veto) each queued change, so a
     * thief of the owner key cannot silently replace the guardians or the key; the price is
     * that one standing guardian can keep the owner from changing them (the remedy is a
     * recovery by the other guardians, or the guardian leaving its standing).
     *
     * Emits {QueuedChangeCancelled}.
     */
    function cancelQueuedChange(address identity) external;
}
