// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

import {ICitizenRegistry} from "../interfaces/ICitizenRegistry.sol";
import {IDepartmentRegistry} from "../interfaces/IDepartmentRegistry.sol";
import {CitizenRecovery} from "./CitizenRecovery.sol";

/**
 * @title CitizenRegistry
 * @notice Citizens' self-sovereign identities: owners ({CitizenOwnership}), recovery
 * ({CitizenRecovery}), and here delegates and attributes, each with its signed variant.
 * See {ICitizenRegistry}.
 */
contract CitizenRegistry is CitizenRecovery {
    /// @notice `keccak256("AddDelegate(address identity,bytes32 delegateType,address delegate,uint256 validity,address owner,uint256 nonce,uint256 deadline)")`
    bytes32 public constant ADD_DELEGATE_TYPEHASH = keccak256(
        "AddDelegate(address identity,bytes32 delegateType,address delegate,uint256 validity,address owner,uint256 nonce,uint256 deadline)"
    );
    /// @notice `keccak256("RevokeDelegate(address identity,bytes32 delegateType,address delegate,address owner,uint256 nonce,uint256 deadline)")`
    bytes32 public constant REVOKE_DELEGATE_TYPEHASH = keccak256(
        "RevokeDelegate(address identity,bytes32 delegateType,address delegate,address owner,uint256 nonce,uint256 deadline)"
    );
    /// @notice `keccak256("SetAttribute(address identity,bytes32 name,bytes value,uint256 validity,address owner,uint256 nonce,uint256 deadline)")`
    bytes32 public constant SET_ATTRIBUTE_TYPEHASH = keccak256(
        "SetAttribute(address identity,bytes32 name,bytes value,uint256 validity,address owner,uint256 nonce,uint256 deadline)"
    );
    /// @notice `keccak256("RevokeAttribute(address identity,bytes32 name,bytes value,address owner,uint256 nonce,uint256 deadline)")`
    bytes32 public constant REVOKE_ATTRIBUTE_TYPEHASH = keccak256(
        "RevokeAttribute(address identity,bytes32 name,bytes value,address owner,uint256 nonce,uint256 deadline)"
    );

    uint256 private constant _DELEGATE_EPOCH_SHIFT = 64;

    /// @dev validTo (bits 0-63) | owner epoch it was added or confirmed under (64-87).
    mapping(address identity => mapping(bytes32 delegateType => mapping(address delegate => uint256 packed)))
        private _delegates;

    /// @param departments the department registry, to keep two guardians out of one department
    constructor(IDepartmentRegistry departments) CitizenRecovery(departments) EIP712("CitizenRegistry", "1") {}

    /// @inheritdoc ICitizenRegistry
    function validDelegate(address identity, bytes32 delegateType, address delegate) external view returns (bool) {
        uint256 packed = _delegates[identity][delegateType][delegate];
        // slither-disable-next-line incorrect-equality (an epoch counter, not a balance or a time)
        return uint64(packed) > block.timestamp && packed >> _DELEGATE_EPOCH_SHIFT == ownerEpoch(identity);
    }

    /// @inheritdoc ICitizenRegistry
    function delegateState(address identity, bytes32 delegateType, address delegate)
        external
        view
        returns (uint256 validTo, uint256 epoch)
    {
        uint256 packed = _delegates[identity][delegateType][delegate];
        return (uint64(packed), packed >> _DELEGATE_EPOCH_SHIFT);
    }

    // ---------------------------------------------------------------------------------------
    // Delegates
    // ---------------------------------------------------------------------------------------

    /// @inheritdoc ICitizenRegistry
    function addDelegate(address identity, bytes32 delegateType, address delegate, uint256 validity) external {
        _onlyOwner(identity);
        _addDelegate(identity, delegateType, delegate, validity);
    }

    /// @inheritdoc ICitizenRegistry
    function addDelegateSigned(
        address identity,
        bytes32 delegateType,
        address delegate,
        uint256 validity,
        uint256 deadline,
        bytes calldata signature
    ) external {
        _useSignedNonce(
            identity,
            abi.encode(ADD_DELEGATE_TYPEHASH, identity, delegateType, delegate, validity, identityOwner(identity)),
            deadline,
            signature
        );
        _addDelegate(identity, delegateType, delegate, validity);
    }

    /// @inheritdoc ICitizenRegistry
    function revokeDelegate(address identity, bytes32 delegateType, address delegate) external {
        _onlyOwner(identity);
        _revokeDelegate(identity, delegateType, delegate);
    }

    /// @inheritdoc ICitizenRegistry
    function revokeDelegateSigned(
        address identity,
        bytes32 delegateType,
        address delegate,
        uint256 deadline,
        bytes calldata signature
    ) external {
        _useSignedNonce(
            identity,
            abi.encode(REVOKE_DELEGATE_TYPEHASH, identity, delegateType, delegate, identityOwner(identity)),
            deadline,
            signature
        );
        _revokeDelegate(identity, delegateType, delegate);
    }

    /// @inheritdoc ICitizenRegistry
    function confirmDelegate(address identity, bytes32 delegateType, address delegate) external {
        _onlyOwner(identity);
        uint256 packed = _delegates[identity][delegateType][delegate];
        if (packed == 0) revert CitizenDelegateNotFound(identity, delegateType, delegate);
        uint256 validTo = uint64(packed);
        uint256 epoch = ownerEpoch(identity);
        // slither-disable-next-line incorrect-equality (an epoch counter, not a balance or a time)
        if (packed >> _DELEGATE_EPOCH_SHIFT == epoch) {
            revert CitizenDelegateNotFromPreviousEpoch(identity, delegateType, delegate, epoch);
        }
        if (validTo <= block.timestamp) revert CitizenDelegateExpired(identity, delegateType, delegate, validTo);
        _delegates[identity][delegateType][delegate] = validTo | (epoch << _DELEGATE_EPOCH_SHIFT);
        emit DelegateConfirmed(identity, delegateType, delegate, epoch, msg.sender);
        emit DIDDelegateChanged(identity, delegateType, delegate, validTo, _touch(identity));
    }

    // ---------------------------------------------------------------------------------------
    // Attributes
    // ---------------------------------------------------------------------------------------

    /// @inheritdoc ICitizenRegistry
    function setAttribute(address identity, bytes32 name, bytes calldata value, uint256 validity) external {
        _onlyOwner(identity);
        _setAttribute(identity, name, value, validity);
    }

    /// @inheritdoc ICitizenRegistry
    function setAttributeSigned(
        address identity,
        bytes32 name,
        bytes calldata value,
        uint256 validity,
        uint256 deadline,
        bytes calldata signature
    ) external {
        _useSignedNonce(
            identity,
            abi.encode(SET_ATTRIBUTE_TYPEHASH, identity, name, keccak256(value), validity, identityOwner(identity)),
            deadline,
            signature
        );
        _setAttribute(identity, name, value, validity);
    }

    /// @inheritdoc ICitizenRegistry
    function revokeAttribute(address identity, bytes32 name, bytes calldata value) external {
        _onlyOwner(identity);
        _revokeAttribute(identity, name, value);
    }

    /// @inheritdoc ICitizenRegistry
    function revokeAttributeSigned(
        address identity,
        bytes32 name,
        bytes calldata value,
        uint256 deadline,
        bytes calldata signature
    ) external {
        _useSignedNonce(
            identity,
            abi.encode(REVOKE_ATTRIBUTE_TYPEHASH, identity, name, keccak256(value), identityOwner(identity)),
            deadline,
            signature
        );
        _revokeAttribute(identity, name, value);
    }

    // ---------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------

    function _addDelegate(address identity, bytes32 delegateType, address delegate, uint256 validity) private {
        if (delegate == address(0)) revert CitizenZeroAddress();
        if (validity == 0) revert CitizenInvalidValidity();
        uint256 validTo = block.timestamp + validity;
        if (validTo > type(uint64).max) validTo = type(uint64).max;
        _delegates[identity][delegateType][delegate] = validTo | (ownerEpoch(identity) << _DELEGATE_EPOCH_SHIFT);
        emit DIDDelegateChanged(identity, delegateType, delegate, validTo, _touch(identity));
    }

    function _revokeDelegate(address identity, bytes32 delegateType, address delegate) private {
        if (_delegates[identity][delegateType][delegate] == 0) {
            revert CitizenDelegateNotFound(identity, delegateType, delegate);
        }
        delete _delegates[identity][delegateType][delegate];
        emit DIDDelegateChanged(identity, delegateType, delegate, block.timestamp, _touch(identity));
    }

    function _setAttribute(address identity, bytes32 name, bytes calldata value, uint256 validity) private {
        if (validity == 0) revert CitizenInvalidValidity();
        emit DIDAttributeChanged(identity, name, value, block.timestamp + validity, _touch(identity));
    }

    function _revokeAttribute(address identity, bytes32 name, bytes calldata value) private {
        emit DIDAttributeChanged(identity, name, value, 0, _touch(identity));
    }
}
