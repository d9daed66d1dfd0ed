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

    /// @notice `identity` is now controlled by `owner`; `actor` made the change.
    event OwnerChanged(address indexed identity, address owner, address indexed actor, uint256 previousChange);

    /// @notice `delegate` may act as `delegateType` for `identity` until `validTo` (unix time;
    /// the current time when revoked).
    event DelegateChanged(
        address indexed identity, bytes32 delegateType, address delegate, uint256 validTo, uint256 previousChange
    );

    /// @notice Attribute `name` = `value` of `identity`, valid until `validTo` (zero: revoked).
    event AttributeChanged(
        address indexed identity, bytes32 name, bytes value, uint256 validTo, uint256 previousChange
    );

    /// @notice The key that currently controls `identity` (the identity itself until changed).
    function identityOwner(address identity) external view returns (address);

    /// @notice Whether `delegate` is a `delegateType` delegate of `identity` valid at this block.
    function validDelegate(address identity, bytes32 delegateType, address delegate) external view returns (bool);

    /// @notice The block of `identity`'s latest change (zero if none): where a history walk starts.
    function changed(address identity) external view returns (uint256);

    /// @notice The nonce the owner's next signed action for `identity` must carry.
    function nonces(address identity) external view returns (uint256);

    /**
     * @notice Hands `identity` to `newOwner` (key rotation).
     *
     * Requirements: the caller owns `identity`; `newOwner` is not zero.
     *
     * Emits {OwnerChanged}.
     */
    function changeOwner(address identity, address newOwner) external;

    /**
     * @notice {changeOwner} signed by the owner (EIP-712
     * `ChangeOwner(address identity,address newOwner,uint256 nonce,uint256 deadline)`), relayed by anyone.
     */
    function changeOwnerSigned(address identity, address newOwner, uint256 deadline, bytes calldata signature)
        external;

    /**
     * @notice Makes `delegate` a `delegateType` delegate of `identity` for `validity` seconds.
     *
     * Requirements: the caller owns `identity`; `delegate` not zero; `validity` not zero.
     *
     * Emits {DelegateChanged}.
     */
    function addDelegate(address identity, bytes32 delegateType, address delegate, uint256 validity) external;

    /**
     * @notice {addDelegate} signed by the owner (EIP-712 `AddDelegate(address identity,bytes32
     * delegateType,address delegate,uint256 validity,uint256 nonce,uint256 deadline)`).
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
     * Emits {DelegateChanged} with `validTo` = now.
     */
    function revokeDelegate(address identity, bytes32 delegateType, address delegate) external;

    /**
     * @notice {revokeDelegate} signed by the owner (EIP-712 `RevokeDelegate(address identity,bytes32
     * delegateType,address delegate,uint256 nonce,uint256 deadline)`).
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
     * Emits {AttributeChanged}.
     */
    function setAttribute(address identity, bytes32 name, bytes calldata value, uint256 validity) external;

    /**
     * @notice {setAttribute} signed by the owner (EIP-712 `SetAttribute(address identity,bytes32 name,
     * bytes value,uint256 validity,uint256 nonce,uint256 deadline)`).
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
     * Requirements: the caller owns `identity`. Emits {AttributeChanged} with `validTo` zero.
     */
    function revokeAttribute(address identity, bytes32 name, bytes calldata value) external;

    /**
     * @notice {revokeAttribute} signed by the owner (EIP-712 `RevokeAttribute(address identity,
     * bytes32 name,bytes value,uint256 nonce,uint256 deadline)`).
     */
    function revokeAttributeSigned(
        address identity,
        bytes32 name,
        bytes calldata value,
        uint256 deadline,
        bytes calldata signature
    ) external;
}
