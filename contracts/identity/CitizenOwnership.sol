// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {SignatureVerifier} from "../common/SignatureVerifier.sol";
import {ICitizenRegistry} from "../interfaces/ICitizenRegistry.sol";

/**
 * @title CitizenOwnership
 * @notice Owner, changed-block pointer and nonce of each citizen identity, in one slot; owner
 * changes, plain and signed. Base of {CitizenRegistry}.
 */
abstract contract CitizenOwnership is ICitizenRegistry, SignatureVerifier {
    /// @notice `keccak256("ChangeOwner(address identity,address newOwner,uint256 nonce,uint256 deadline)")`
    bytes32 public constant CHANGE_OWNER_TYPEHASH =
        keccak256("ChangeOwner(address identity,address newOwner,uint256 nonce,uint256 deadline)");

    uint256 private constant _CHANGED_SHIFT = 160;
    uint256 private constant _NONCE_SHIFT = 208;

    /// @dev owner (bits 0-159, zero until the first change) | changed block (160-207) | nonce (208-255)
    mapping(address identity => uint256 packed) private _identities;

    /// @inheritdoc ICitizenRegistry
    function identityOwner(address identity) public view returns (address) {
        address owner = address(uint160(_identities[identity]));
        return owner == address(0) ? identity : owner;
    }

    /// @inheritdoc ICitizenRegistry
    function changed(address identity) external view returns (uint256) {
        return uint48(_identities[identity] >> _CHANGED_SHIFT);
    }

    /// @inheritdoc ICitizenRegistry
    function nonces(address identity) external view returns (uint256) {
        return uint48(_identities[identity] >> _NONCE_SHIFT);
    }

    /// @inheritdoc ICitizenRegistry
    function changeOwner(address identity, address newOwner) external {
        _changeOwner(identity, _onlyOwner(identity), newOwner, false);
    }

    /// @inheritdoc ICitizenRegistry
    function changeOwnerSigned(address identity, address newOwner, uint256 deadline, bytes calldata signature)
        external
    {
        (address owner, uint256 nonce) = _ownerAndNonce(identity);
        _verifySignature(
            owner, keccak256(abi.encode(CHANGE_OWNER_TYPEHASH, identity, newOwner, nonce, deadline)), deadline, signature
        );
        _changeOwner(identity, owner, newOwner, true);
    }

    function _changeOwner(address identity, address actor, address newOwner, bool signed) internal {
        if (newOwner == address(0)) revert CitizenZeroAddress();
        uint256 previousChange = _touch(identity, newOwner, signed);
        emit OwnerChanged(identity, newOwner, actor, previousChange);
    }

    /// @dev The owner of `identity`; reverts unless it is the caller.
    function _onlyOwner(address identity) internal view returns (address owner) {
        owner = identityOwner(identity);
        if (msg.sender != owner) revert CitizenUnauthorizedOwner(identity, msg.sender);
    }

    function _ownerAndNonce(address identity) internal view returns (address owner, uint256 nonce) {
        uint256 packed = _identities[identity];
        owner = address(uint160(packed));
        if (owner == address(0)) owner = identity;
        nonce = uint48(packed >> _NONCE_SHIFT);
    }

    /**
     * @dev Records a change of `identity` at this block with `owner` as its owner, consuming a
     * nonce if `useNonce`; one SSTORE. Returns the block of the previous change.
     */
    function _touch(address identity, address owner, bool useNonce) internal returns (uint256 previousChange) {
        uint256 packed = _identities[identity];
        previousChange = uint48(packed >> _CHANGED_SHIFT);
        uint256 nonce = uint48(packed >> _NONCE_SHIFT);
        if (useNonce) ++nonce;
        _identities[identity] =
            uint256(uint160(owner)) | (uint256(uint48(block.number)) << _CHANGED_SHIFT) | (nonce << _NONCE_SHIFT);
    }
}
