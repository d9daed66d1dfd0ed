// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @dev Delegate type of an agent (代办) who may act for the identity: consent to grants,
/// apply, withdraw. Other types are free-form `bytes32` values.
bytes32 constant DELEGATE_AGENT = keccak256("govchain.delegate.agent");

/**
 * @title ICitizenRegistry
 * @notice Self-sovereign citizen identities (ERC-1056 style): any address is an identity
 * without a transaction and is controlled by its owner key.
 *
 * What it fixes in ERC-1056 (ethr-did-registry): signed variants are EIP-712 with a domain
 * bound to chain and contract, a deadline, and a nonce per identity (not per owner key, which
 * two identities may share), checked by OpenZeppelin's SignatureChecker (no malleable
 * signatures; ERC-1271 wallets as owners); the owner, the changed-block pointer and the nonce
 * share one storage slot, so an owner change writes one slot instead of two; every owner action
 * has a signed variant; a lost key can be recovered by guardians (see {ICitizenRecovery}).
 *
 * Owner epochs (what ERC-1056 lacks): every owner change, by rotation or recovery, bumps the
 * identity's owner epoch (kept in the same slot as the owner). A delegate is valid only under
 * the epoch it was added or confirmed in, and a consent grant (IAccessGrants) authorises
 * access only under the epoch it was given or confirmed in, so nothing a previous key
 * installed survives its rotation or recovery unless the new owner confirms it. An owner
 * change also moves the nonce on, voiding the previous owner's unrelayed signed messages.
 * A stock did:ethr resolver does not know epochs: so the registry lists each epoch's delegates
 * (at most `MAX_DELEGATES` at once) and an owner change emits, for each of them still unexpired,
 * a {DIDDelegateChanged} with `validTo` = now, which the method's resolution rules read as the
 * delegate's end; {confirmDelegate} announces it again.
 *
 * History lives in events. Each identity-level event carries `previousChange`, the block of the
 * identity's previous change ({changed}), so a reader walks back from {changed} one block at a
 * time instead of scanning the chain. Attributes (public encryption keys, service endpoints) are
 * events only; they must never hold personal data.
 */
interface ICitizenRegistry {
    /// @notice `caller` is not the owner of `identity`.
    error CitizenUnauthorizedOwner(address identity, address caller);
    /// @notice An owner or delegate must not be the zero address.
    error CitizenZeroAddress();
    /// @notice A delegate or attribute must be valid for a non-zero time.
    error CitizenInvalidValidity();
    /// @notice `delegate` is not a `delegateType` delegate of `identity`.
    error CitizenDelegateNotFound(address identity, bytes32 delegateType, address delegate);
    /// @notice `delegate` was installed under owner epoch `epoch`, which is current: there is
    /// nothing to confirm (only a delegate from a previous owner's epoch, still unexpired, is).
    error CitizenDelegateNotFromPreviousEpoch(address identity, bytes32 delegateType, address delegate, uint256 epoch);
    /// @notice `delegate`'s validity ended at `validTo`; add it again instead.
    error CitizenDelegateExpired(address identity, bytes32 delegateType, address delegate, uint256 validTo);
    /// @notice `identity` already lists `max` delegates under its owner epoch (added or confirmed
    /// and not revoked, expired ones included): revoke one first.
    error CitizenTooManyDelegates(address identity, uint256 max);

    /// @notice `identity` is now controlled by `owner` (ERC-1056 event, exact signature).
    event DIDOwnerChanged(address indexed identity, address owner, uint256 previousChange);

    /**
     * @notice `delegate` may act as `delegateType` for `identity` until `validTo` (unix time;
     * the current time when revoked). ERC-1056 event, exact signature. A delegate installed
     * under a previous owner epoch is not valid although its `validTo` has not passed (see
     * {OwnerEpochChanged}); it is announced again when the new owner confirms it.
     */
    event DIDDelegateChanged(
        address indexed identity, bytes32 delegateType, address delegate, uint256 validTo, uint256 previousChange
    );

    /// @notice Attribute `name` = `value` of `identity`, valid until `validTo` (zero: revoked).
    /// ERC-1056 event, exact signature.
    event DIDAttributeChanged(
        address indexed identity, bytes32 name, bytes value, uint256 validTo, uint256 previousChange
    );

    /**
     * @notice `identity`'s owner changed to `owner`, which opens owner epoch `epoch`: every
     * delegate and every consent installed under an earlier epoch stops working until `owner`
     * confirms it, and every unrelayed signed message of the previous owner is void (the nonce
     * moved on). `sender` sent the transaction (the owner, a relayer, or whoever finalised a
     * recovery or a queued change).
     */
    event OwnerEpochChanged(address indexed identity, address indexed owner, uint256 epoch, address sender);

    /// @notice The owner of `identity` confirmed `delegate`, installed under a previous epoch,
    /// for the current epoch `epoch`.
    event DelegateConfirmed(
        address indexed identity, bytes32 delegateType, address indexed delegate, uint256 epoch, address sender
    );

    /// @notice The owner of `identity` used up nonce `nonce` without a signed action, voiding
    /// any unrelayed message signed with it.
    event NonceUsed(address indexed identity, uint256 nonce, address sender);

    /// @notice The key that currently controls `identity` (the identity itself until changed).
    function identityOwner(address identity) external view returns (address);

    /**
     * @notice Whether `delegate` is a `delegateType` delegate of `identity` valid at this block:
     * unexpired and installed (or confirmed) under the current owner epoch. The one rule every
     * contract and every data node asks.
     */
    function validDelegate(address identity, bytes32 delegateType, address delegate) external view returns (bool);

    /// @notice The owner epoch of `identity`: zero, then bumped by every change of its owner.
    function ownerEpoch(address identity) external view returns (uint256);

    /// @notice When `delegate`'s delegation ends (zero if never added) and the owner epoch it
    /// was installed or confirmed under.
    function delegateState(address identity, bytes32 delegateType, address delegate)
        external
        view
        returns (uint256 validTo, uint256 epoch);

    /// @notice The block of `identity`'s latest change (zero if none): where a history walk starts.
    function changed(address identity) external view returns (uint256);

    /// @notice The nonce the owner's next signed action for `identity` must carry.
    function nonces(address identity) external view returns (uint256);

    /**
     * @notice Hands `identity` to `newOwner` (key rotation): at once if `identity` has no
     * guardians, else queued for the guardians' time lock (see {ICitizenRecovery}).
     *
     * Requirements: the caller owns `identity`; `newOwner` is not zero.
     *
     * Emits {DIDOwnerChanged} and {OwnerEpochChanged} (and a {DIDDelegateChanged} with
     * `validTo` = now for each unexpired delegate of the ended epoch, at most `MAX_DELEGATES`),
     * or {ICitizenRecovery-OwnerChangeQueued}.
     */
    function changeOwner(address identity, address newOwner) external;

    /**
     * @notice {changeOwner} signed by the owner (EIP-712
     * `ChangeOwner(address identity,address owner,address newOwner,uint256 nonce,uint256 deadline)`),
     * relayed by anyone. Every signed message names the owner that signs it (`owner`), so two
     * ERC-1271 wallets that accept the same key's signature cannot share it.
     */
    function changeOwnerSigned(address identity, address newOwner, uint256 deadline, bytes calldata signature)
        external;

    /**
     * @notice Makes `delegate` a `delegateType` delegate of `identity` for `validity` seconds,
     * under the current owner epoch.
     *
     * Requirements: the caller owns `identity`; `delegate` not zero; `validity` not zero; a
     * delegate new to this epoch finds fewer than `MAX_DELEGATES` listed (revoke one first).
     *
     * Emits {DIDDelegateChanged}.
     */
    function addDelegate(address identity, bytes32 delegateType, address delegate, uint256 validity) external;

    /**
     * @notice {addDelegate} signed by the owner (EIP-712 `AddDelegate(address identity,bytes32
     * delegateType,address delegate,uint256 validity,address owner,uint256 nonce,uint256 deadline)`).
     */
    function addDelegateSigned(
        address identity,
        bytes32 delegateType,
        address delegate,
        uint256 validity,
        uint256 deadline,
        bytes calldata signature
    ) external;

    /**
     * @notice Ends `delegate`'s delegation at once.
     *
     * Requirements: the caller owns `identity`; `delegate` was added (even if expired since).
     *
     * Emits {DIDDelegateChanged} with `validTo` = now.
     */
    function revokeDelegate(address identity, bytes32 delegateType, address delegate) external;

    /**
     * @notice The owner keeps `delegate`, installed under a previous owner's epoch, for the
     * current epoch (its `validTo` unchanged).
     *
     * Requirements: the caller owns `identity`; the delegate was added, has not expired, and
     * comes from a previous epoch; fewer than `MAX_DELEGATES` are listed under this epoch.
     *
     * Emits {DelegateConfirmed} and {DIDDelegateChanged}.
     */
    function confirmDelegate(address identity, bytes32 delegateType, address delegate) external;

    /**
     * @notice The owner uses up the current nonce of `identity`: every signed message carrying
     * it that has not been relayed yet can never be (OZ `Nonces` style, no signature needed).
     *
     * Requirements: the caller owns `identity`. Emits {NonceUsed}.
     */
    function useNonce(address identity) external;

    /**
     * @notice {revokeDelegate} signed by the owner (EIP-712 `RevokeDelegate(address identity,bytes32
     * delegateType,address delegate,address owner,uint256 nonce,uint256 deadline)`).
     */
    function revokeDelegateSigned(
        address identity,
        bytes32 delegateType,
        address delegate,
        uint256 deadline,
        bytes calldata signature
    ) external;

    /**
     * @notice Publishes attribute `name` = `value` for `validity` seconds (an event only).
     *
     * Requirements: the caller owns `identity`; `validity` not zero.
     *
     * Emits {DIDAttributeChanged}.
     */
    function setAttribute(address identity, bytes32 name, bytes calldata value, uint256 validity) external;

    /**
     * @notice {setAttribute} signed by the owner (EIP-712 `SetAttribute(address identity,bytes32 name,
     * bytes value,uint256 validity,address owner,uint256 nonce,uint256 deadline)`).
     */
    function setAttributeSigned(
        address identity,
        bytes32 name,
        bytes calldata value,
        uint256 validity,
        uint256 deadline,
        bytes calldata signature
    ) external;

    /**
     * @notice Withdraws attribute `name` = `value`.
     *
     * Requirements: the caller owns `identity`. Emits {DIDAttributeChanged} with `validTo` zero.
     */
    function revokeAttribute(address identity, bytes32 name, bytes calldata value) external;

    /**
     * @notice {revokeAttribute} signed by the owner (EIP-712 `RevokeAttribute(address identity,
     * bytes32 name,bytes value,address owner,uint256 nonce,uint256 deadline)`).
     */
    function revokeAttributeSigned(
        address identity,
        bytes32 name,
        bytes calldata value,
        uint256 deadline,
        bytes calldata signature
    ) external;
}
