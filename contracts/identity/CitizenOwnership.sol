// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {SignatureVerifier} from "../common/SignatureVerifier.sol";
import {ICitizenRegistry} from "../interfaces/ICitizenRegistry.sol";

/**
 * @title CitizenOwnership
 * @notice Owner, changed-block pointer, nonce and owner epoch of each citizen identity, in one
 * slot; owner changes, plain and signed. Base of {CitizenRegistry}.
 */
abstract contract CitizenOwnership is ICitizenRegistry, SignatureVerifier {
    /// @notice `keccak256("ChangeOwner(address identity,address owner,address newOwner,uint256 nonce,uint256 deadline)")`
    bytes32 public constant CHANGE_OWNER_TYPEHASH =
        keccak256("ChangeOwner(address identity,address owner,address newOwner,uint256 nonce,uint256 deadline)");

    uint256 private constant _CHANGED_SHIFT = 160;
    uint256 private constant _NONCE_SHIFT = 200;
    uint256 private constant _EPOCH_SHIFT = 232;

    /**
     * @dev owner (bits 0-159, zero until the first change) | changed block (160-199, uint40) |
     * nonce (200-231, uint32) | owner epoch (232-255, uint24).
     */
    mapping(address identity => uint256 packed) private _identities;

    /// @inheritdoc ICitizenRegistry
    function identityOwner(address identity) public view returns (address) {
        address owner = address(uint160(_identities[identity]));
        return owner == address(0) ? identity : owner;
    }

    /// @inheritdoc ICitizenRegistry
    function changed(address identity) external view returns (uint256) {
        return uint40(_identities[identity] >> _CHANGED_SHIFT);
    }

    /// @inheritdoc ICitizenRegistry
    function nonces(address identity) external view returns (uint256) {
        return uint32(_identities[identity] >> _NONCE_SHIFT);
    }

    /// @inheritdoc ICitizenRegistry
    function ownerEpoch(address identity) public view returns (uint256) {
        return _identities[identity] >> _EPOCH_SHIFT;
    }

    /// @inheritdoc ICitizenRegistry
    function changeOwner(address identity, address newOwner) external {
        _requestOwnerChange(identity, _onlyOwner(identity), newOwner);
    }

    /// @inheritdoc ICitizenRegistry
    function changeOwnerSigned(address identity, address newOwner, uint256 deadline, bytes calldata signature)
        external
    {
        address owner = _useSignedNonce(
            identity, abi.encode(CHANGE_OWNER_TYPEHASH, identity, identityOwner(identity), newOwner), deadline, signature
        );
        _requestOwnerChange(identity, owner, newOwner);
    }

    /// @inheritdoc ICitizenRegistry
    function useNonce(address identity) external {
        _onlyOwner(identity);
        uint256 packed = _identities[identity];
        uint256 nonce = uint32(packed >> _NONCE_SHIFT);
        _identities[identity] = packed + (1 << _NONCE_SHIFT);
        emit NonceUsed(identity, nonce, msg.sender);
    }

    /// @dev An owner change the owner asked for: at once, or queued if guardians watch.
    function _requestOwnerChange(address identity, address owner, address newOwner) internal virtual;

    /**
     * @dev Hands `identity` to `newOwner`: one SSTORE sets the owner, the changed block, moves
     * the nonce on (the previous owner's unrelayed signatures die) and opens a new owner epoch.
     */
    function _setOwner(address identity, address newOwner) internal {
        if (newOwner == address(0)) revert CitizenZeroAddress();
        uint256 packed = _identities[identity];
        uint256 previousChange = uint40(packed >> _CHANGED_SHIFT);
        uint256 nonce = uint32(packed >> _NONCE_SHIFT) + 1;
        uint256 epoch = (packed >> _EPOCH_SHIFT) + 1;
        _identities[identity] = uint256(uint160(newOwner)) | (uint256(uint40(block.number)) << _CHANGED_SHIFT)
            | (uint256(uint32(nonce)) << _NONCE_SHIFT) | (uint256(uint24(epoch)) << _EPOCH_SHIFT);
        emit DIDOwnerChanged(identity, newOwner, previousChange);
        emit OwnerEpochChanged(identity, newOwner, epoch, msg.sender);
        _epochEnded(identity, epoch - 1);
    }

    /// @dev Owner epoch `epoch` of `identity` just ended (its owner changed at this block).
    function _epochEnded(address identity, uint256 epoch) internal virtual;

    /// @dev The owner of `identity`; reverts unless it is the caller.
    function _onlyOwner(address identity) internal view returns (address owner) {
        owner = identityOwner(identity);
        if (msg.sender != owner) revert CitizenUnauthorizedOwner(identity, msg.sender);
    }

    /**
     * @dev Checks the owner's signature of the typed message `encodedHead ++ (nonce, deadline)`
     * with the identity's current nonce, and consumes that nonce. Returns the owner.
     */
    function _useSignedNonce(address identity, bytes memory encodedHead, uint256 deadline, bytes calldata signature)
        internal
        returns (address owner)
    {
        uint256 packed = _identities[identity];
        owner = address(uint160(packed));
        if (owner == address(0)) owner = identity;
        uint256 nonce = uint32(packed >> _NONCE_SHIFT);
        _verifySignature(owner, keccak256(bytes.concat(encodedHead, abi.encode(nonce, deadline))), deadline, signature);
        _identities[identity] = packed + (1 << _NONCE_SHIFT);
    }

    /**
     * @dev Records an ERC-1056 change of `identity` at this block (owner unchanged); one SSTORE.
     * Returns the block of the previous change. Only for changes that emit an ERC-1056 event
     * carrying `previousChange`, so a resolver's walk back from {changed} never breaks.
     */
    function _touch(address identity) internal returns (uint256 previousChange) {
        uint256 packed = _identities[identity];
        previousChange = uint40(packed >> _CHANGED_SHIFT);
        _identities[identity] = (packed & ~(uint256(type(uint40).max) << _CHANGED_SHIFT))
            | (uint256(uint40(block.number)) << _CHANGED_SHIFT);
    }
}
