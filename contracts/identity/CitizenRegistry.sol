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
    /// @notice `keccak256("AddDelegate(address identity,bytes32 delegateType,address delegate,uint256 validity,uint256 nonce,uint256 deadline)")`
    bytes32 public constant ADD_DELEGATE_TYPEHASH = keccak256(
        "AddDelegate(address identity,bytes32 delegateType,address delegate,uint256 validity,uint256 nonce,uint256 deadline)"
    );
    /// @notice `keccak256("RevokeDelegate(address identity,bytes32 delegateType,address delegate,uint256 nonce,uint256 deadline)")`
    bytes32 public constant REVOKE_DELEGATE_TYPEHASH = keccak256(
        "RevokeDelegate(address identity,bytes32 delegateType,address delegate,uint256 nonce,uint256 deadline)"
    );
    /// @notice `keccak256("SetAttribute(address identity,bytes32 name,bytes value,uint256 validity,uint256 nonce,uint256 deadline)")`
    bytes32 public constant SET_ATTRIBUTE_TYPEHASH = keccak256(
        "SetAttribute(address identity,bytes32 name,bytes value,uint256 validity,uint256 nonce,uint256 deadline)"
    );
    /// @notice `keccak256("RevokeAttribute(address identity,bytes32 name,bytes value,uint256 nonce,uint256 deadline)")`
    bytes32 public constant REVOKE_ATTRIBUTE_TYPEHASH = keccak256(
        "RevokeAttribute(address identity,bytes32 name,bytes value,uint256 nonce,uint256 deadline)"
    );

    mapping(address identity => mapping(bytes32 delegateType => mapping(address delegate => uint256 validTo)))
        private _delegates;

    /// @param departments the department registry, to keep two guardians out of one department
    constructor(IDepartmentRegistry departments) CitizenRecovery(departments) EIP712("CitizenRegistry", "1") {}

    /// @inheritdoc ICitizenRegistry
    function validDelegate(address identity, bytes32 delegateType, address delegate) external view returns (bool) {
        return _delegates[identity][delegateType][delegate] > block.timestamp;
    }

    // ---------------------------------------------------------------------------------------
    // Delegates
    // ---------------------------------------------------------------------------------------

    /// @inheritdoc ICitizenRegistry
    function addDelegate(address identity, bytes32 delegateType, address delegate, uint256 validity) external {
        _addDelegate(identity, _onlyOwner(identity), delegateType, delegate, validity, false);
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
        (address owner, uint256 nonce) = _ownerAndNonce(identity);
        _verifySignature(
            owner,
            keccak256(abi.encode(ADD_DELEGATE_TYPEHASH, identity, delegateType, delegate, validity, nonce, deadline)),
            deadline,
            signature
        );
        _addDelegate(identity, owner, delegateType, delegate, validity, true);
    }

    /// @inheritdoc ICitizenRegistry
    function revokeDelegate(address identity, bytes32 delegateType, address delegate) external {
        _revokeDelegate(identity, _onlyOwner(identity), delegateType, delegate, false);
    }

    /// @inheritdoc ICitizenRegistry
    function revokeDelegateSigned(
        address identity,
        bytes32 delegateType,
        address delegate,
        uint256 deadline,
        bytes calldata signature
    ) external {
        (address owner, uint256 nonce) = _ownerAndNonce(identity);
        _verifySignature(
            owner,
            keccak256(abi.encode(REVOKE_DELEGATE_TYPEHASH, identity, delegateType, delegate, nonce, deadline)),
            deadline,
            signature
        );
        _revokeDelegate(identity, owner, delegateType, delegate, true);
    }

    // ---------------------------------------------------------------------------------------
    // Attributes
    // ---------------------------------------------------------------------------------------

    /// @inheritdoc ICitizenRegistry
    function setAttribute(address identity, bytes32 name, bytes calldata value, uint256 validity) external {
        _setAttribute(identity, _onlyOwner(identity), name, value, validity, false);
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
        (address owner, uint256 nonce) = _ownerAndNonce(identity);
        bytes32 structHash = keccak256(
            abi.encode(SET_ATTRIBUTE_TYPEHASH, identity, name, keccak256(value), validity, nonce, deadline)
        );
        _verifySignature(owner, structHash, deadline, signature);
        _setAttribute(identity, owner, name, value, validity, true);
    }

    /// @inheritdoc ICitizenRegistry
    function revokeAttribute(address identity, bytes32 name, bytes calldata value) external {
        _revokeAttribute(identity, _onlyOwner(identity), name, value, false);
    }

    /// @inheritdoc ICitizenRegistry
    function revokeAttributeSigned(
        address identity,
        bytes32 name,
        bytes calldata value,
        uint256 deadline,
        bytes calldata signature
    ) external {
        (address owner, uint256 nonce) = _ownerAndNonce(identity);
        bytes32 structHash =
            keccak256(abi.encode(REVOKE_ATTRIBUTE_TYPEHASH, identity, name, keccak256(value), nonce, deadline));
        _verifySignature(owner, structHash, deadline, signature);
        _revokeAttribute(identity, owner, name, value, true);
    }

    // ---------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------

    function _addDelegate(
        address identity,
        address owner,
        bytes32 delegateType,
        address delegate,
        uint256 validity,
        bool signed
    ) private {
        if (delegate == address(0)) revert CitizenZeroAddress();
        if (validity == 0) revert CitizenInvalidValidity();
        uint256 validTo = block.timestamp + validity;
        _delegates[identity][delegateType][delegate] = validTo;
        emit DelegateChanged(identity, delegateType, delegate, validTo, _touch(identity, owner, signed));
    }

    function _revokeDelegate(address identity, address owner, bytes32 delegateType, address delegate, bool signed)
        private
    {
        if (_delegates[identity][delegateType][delegate] == 0) {
            revert CitizenDelegateNotFound(identity, delegateType, delegate);
        }
        delete _delegates[identity][delegateType][delegate];
        emit DelegateChanged(identity, delegateType, delegate, block.timestamp, _touch(identity, owner, signed));
    }

    function _setAttribute(
        address identity,
        address owner,
        bytes32 name,
        bytes calldata value,
        uint256 validity,
        bool signed
    ) private {
        if (validity == 0) revert CitizenInvalidValidity();
        emit AttributeChanged(identity, name, value, block.timestamp + validity, _touch(identity, owner, signed));
    }

    function _revokeAttribute(address identity, address owner, bytes32 name, bytes calldata value, bool signed)
        private
    {
        emit AttributeChanged(identity, name, value, 0, _touch(identity, owner, signed));
    }
}
