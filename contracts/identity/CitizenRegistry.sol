// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

import {DELEGATE_AGENT, ICitizenRegistry} from "../interfaces/ICitizenRegistry.sol";
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

    /// @notice How many delegates (of any types) one owner epoch of an identity may list at once:
    /// added or confirmed under it and not revoked, expired ones included until revoked. The
    /// bound of the loop that announces their end when the owner changes.
    uint256 public constant MAX_DELEGATES = 8;

    uint256 private constant _DELEGATE_EPOCH_SHIFT = 64;
    uint256 private constant _DELEGATE_SLOT_SHIFT = 88;
    uint256 private constant _ENTRY_AGENT = 1 << 160;
    uint256 private constant _ENTRY_LENGTH_SHIFT = 168;
    uint256 private constant _ENTRY_MASK = _ENTRY_AGENT | type(uint160).max;

    /**
     * @dev validTo (bits 0-63) | owner epoch it was added or confirmed under (64-87) | its
     * position + 1 in that epoch's list `_listed` (88-95).
     */
    mapping(address identity => mapping(bytes32 delegateType => mapping(address delegate => uint256 packed)))
        private _delegates;

    /**
     * @dev Per identity and owner epoch, entry `index` of the list of delegates added or
     * confirmed under it and not revoked: delegate (bits 0-159) | 1 at bit 160 if its type is
     * {DELEGATE_AGENT} | entry 0 only: the list's length (168-175). One slot per agent, and the
     * length costs no slot of its own; entries past the length are stale and never read.
     */
    mapping(address identity => mapping(uint256 epoch => mapping(uint256 index => uint256 entry))) private _listed;

    /// @dev The delegate type of entry `index` when it is not {DELEGATE_AGENT}.
    mapping(address identity => mapping(uint256 epoch => mapping(uint256 index => bytes32 delegateType))) private
        _listedTypes;

    /// @param departments the department registry, to keep two guardians out of one department
    constructor(IDepartmentRegistry departments) CitizenRecovery(departments) EIP712("CitizenRegistry", "1") {}

    /// @inheritdoc ICitizenRegistry
    function validDelegate(address identity, bytes32 delegateType, address delegate) external view returns (bool) {
        uint256 packed = _delegates[identity][delegateType][delegate];
        // slither-disable-next-line incorrect-equality (an epoch counter, not a balance or a time)
        return uint64(packed) > block.timestamp && _epochOf(packed) == ownerEpoch(identity);
    }

    /// @inheritdoc ICitizenRegistry
    function delegateState(address identity, bytes32 delegateType, address delegate)
        external
        view
        returns (uint256 validTo, uint256 epoch)
    {
        uint256 packed = _delegates[identity][delegateType][delegate];
        return (uint64(packed), _epochOf(packed));
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
        if (_epochOf(packed) == epoch) {
            revert CitizenDelegateNotFromPreviousEpoch(identity, delegateType, delegate, epoch);
        }
        if (validTo <= block.timestamp) revert CitizenDelegateExpired(identity, delegateType, delegate, validTo);
        uint256 slot = _list(identity, epoch, delegateType, delegate);
        _delegates[identity][delegateType][delegate] =
            validTo | (epoch << _DELEGATE_EPOCH_SHIFT) | (slot << _DELEGATE_SLOT_SHIFT);
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
        uint256 epoch = ownerEpoch(identity);
        uint256 packed = _delegates[identity][delegateType][delegate];
        uint256 slot = uint8(packed >> _DELEGATE_SLOT_SHIFT);
        // already listed under this epoch (a renewal): keep its place
        if (slot == 0 || _epochOf(packed) != epoch) slot = _list(identity, epoch, delegateType, delegate);
        _delegates[identity][delegateType][delegate] =
            validTo | (epoch << _DELEGATE_EPOCH_SHIFT) | (slot << _DELEGATE_SLOT_SHIFT);
        emit DIDDelegateChanged(identity, delegateType, delegate, validTo, _touch(identity));
    }

    function _revokeDelegate(address identity, bytes32 delegateType, address delegate) private {
        uint256 packed = _delegates[identity][delegateType][delegate];
        if (packed == 0) revert CitizenDelegateNotFound(identity, delegateType, delegate);
        uint256 epoch = _epochOf(packed);
        // a delegate of a previous epoch is in no current list
        // slither-disable-next-line incorrect-equality (an epoch counter, not a balance or a time)
        if (epoch == ownerEpoch(identity)) _unlist(identity, epoch, uint8(packed >> _DELEGATE_SLOT_SHIFT));
        delete _delegates[identity][delegateType][delegate];
        emit DIDDelegateChanged(identity, delegateType, delegate, block.timestamp, _touch(identity));
    }

    /// @dev Appends a delegate to `epoch`'s list; returns its position + 1.
    function _list(address identity, uint256 epoch, bytes32 delegateType, address delegate)
        private
        returns (uint256 slot)
    {
        mapping(uint256 => uint256) storage list = _listed[identity][epoch];
        uint256 head = list[0];
        uint256 length = uint8(head >> _ENTRY_LENGTH_SHIFT);
        if (length == MAX_DELEGATES) revert CitizenTooManyDelegates(identity, MAX_DELEGATES);
        uint256 entry = uint256(uint160(delegate));
        if (delegateType == DELEGATE_AGENT) entry |= _ENTRY_AGENT;
        else _listedTypes[identity][epoch][length] = delegateType;
        if (length == 0) {
            list[0] = entry | (1 << _ENTRY_LENGTH_SHIFT);
        } else {
            list[length] = entry;
            list[0] = head + (1 << _ENTRY_LENGTH_SHIFT);
        }
        return length + 1;
    }

    /// @dev Removes position `slot` - 1 from `epoch`'s list: the last entry takes its place.
    function _unlist(address identity, uint256 epoch, uint256 slot) private {
        mapping(uint256 => uint256) storage list = _listed[identity][epoch];
        uint256 head = list[0];
        uint256 last = uint8(head >> _ENTRY_LENGTH_SHIFT) - 1;
        uint256 index = slot - 1;
        if (index != last) {
            // last > index >= 0, so the moved entry is not entry 0
            uint256 moved = list[last] & _ENTRY_MASK;
            bytes32 movedType = _typeOf(identity, epoch, last, moved);
            if (moved & _ENTRY_AGENT == 0) _listedTypes[identity][epoch][index] = movedType;
            if (index == 0) head = moved | (head & ~_ENTRY_MASK);
            else list[index] = moved;
            address movedDelegate = address(uint160(moved));
            uint256 packed = _delegates[identity][movedType][movedDelegate];
            _delegates[identity][movedType][movedDelegate] =
                (packed & ~(uint256(type(uint8).max) << _DELEGATE_SLOT_SHIFT)) | (slot << _DELEGATE_SLOT_SHIFT);
        }
        list[0] = head - (1 << _ENTRY_LENGTH_SHIFT);
    }

    /**
     * @dev The owner changed: every delegate of the ended epoch still unexpired gets a
     * {DIDDelegateChanged} with `validTo` = now, so a stock did:ethr resolver drops it as the
     * contract does ({validDelegate}); {confirmDelegate} announces it again. At most
     * {MAX_DELEGATES} entries. `previousChange` is this block, already recorded by the change.
     */
    function _epochEnded(address identity, uint256 epoch) internal override {
        mapping(uint256 => uint256) storage list = _listed[identity][epoch];
        uint256 head = list[0];
        uint256 length = uint8(head >> _ENTRY_LENGTH_SHIFT);
        for (uint256 i; i < length; ++i) {
            uint256 entry = i == 0 ? head : list[i];
            bytes32 delegateType = _typeOf(identity, epoch, i, entry);
            address delegate = address(uint160(entry));
            if (uint64(_delegates[identity][delegateType][delegate]) > block.timestamp) {
                emit DIDDelegateChanged(identity, delegateType, delegate, block.timestamp, block.number);
            }
        }
    }

    function _typeOf(address identity, uint256 epoch, uint256 index, uint256 entry) private view returns (bytes32) {
        return entry & _ENTRY_AGENT != 0 ? DELEGATE_AGENT : _listedTypes[identity][epoch][index];
    }

    function _epochOf(uint256 packed) private pure returns (uint256) {
        return uint24(packed >> _DELEGATE_EPOCH_SHIFT);
    }

    function _setAttribute(address identity, bytes32 name, bytes calldata value, uint256 validity) private {
        if (validity == 0) revert CitizenInvalidValidity();
        emit DIDAttributeChanged(identity, name, value, block.timestamp + validity, _touch(identity));
    }

    function _revokeAttribute(address identity, bytes32 name, bytes calldata value) private {
        emit DIDAttributeChanged(identity, name, value, 0, _touch(identity));
    }
}
