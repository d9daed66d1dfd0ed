// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @dev Delegate type of an agent (代办) who may act for the identity: consent to grants,
/// apply, withdraw. Other types are free-form `bytes32` values.
bytes32 constant DELEGATE_AGENT = keccak256("govchain.delegate.agent");

/**
 * @title ICitizenRegistry
 * @notice Self-sovereign citizen identities (ERC-1056 style): any address is an identity
 * without a transaction and is controlled by its owner key.
 */
interface ICitizenRegistry {
    /// @notice The key that currently controls `identity` (the identity itself until changed).
    function identityOwner(address identity) external view returns (address);

    /// @notice Whether `delegate` is a `delegateType` delegate of `identity` valid at this block.
    function validDelegate(address identity, bytes32 delegateType, address delegate) external view returns (bool);
}
