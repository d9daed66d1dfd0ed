// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureVerifier} from "../common/SignatureVerifier.sol";
import {IAccessGrants} from "../interfaces/IAccessGrants.sol";
import {IDataCatalog} from "../interfaces/IDataCatalog.sol";
import {IDepartmentRegistry, ROLE_STAFF} from "../interfaces/IDepartmentRegistry.sol";
import {ICitizenRegistry} from "../interfaces/ICitizenRegistry.sol";
import {GrantStore} from "./GrantStore.sol";
import {ShareRequests} from "./ShareRequests.sol";

/**
 * @title AccessGrants
 * @notice Consent, statutory and approved grants, their revocation, and the access records
 * that the owners' data nodes require before releasing anything.
 */
contract AccessGrants is ShareRequests, SignatureVerifier {
    /// @dev keccak256("GrantConsent(Grant grant,uint256 deadline)Grant(address subject,bytes32 grantee,bytes32 owner,bytes32[] categories,bytes32 purposeHash,uint8 basis,uint40 validFrom,uint40 validUntil,uint32 maxUses,uint256 nonce)")
    bytes32 public constant CONSENT_TYPEHASH = keccak256(
        "GrantConsent(Grant grant,uint256 deadline)Grant(address subject,bytes32 grantee,bytes32 owner,bytes32[] categories,bytes32 purposeHash,uint8 basis,uint40 validFrom,uint40 validUntil,uint32 maxUses,uint256 nonce)"
    );

    constructor(IDepartmentRegistry departments_, ICitizenRegistry citizens_, IDataCatalog catalog_)
        GrantStore(departments_, citizens_, catalog_)
        EIP712("AccessGrants", "1")
    {}

    /// @inheritdoc IAccessGrants
    function grant(Grant calldata terms) external returns (bytes32) {
        _checkConsent(terms, msg.sender);
        return _createGrant(terms, msg.sender);
    }

    /// @inheritdoc IAccessGrants
    function grantBySignature(Grant calldata terms, address signer, uint256 deadline, bytes calldata signature)
        external
        returns (bytes32)
    {
        _checkConsent(terms, signer);
        _verifySignature(
            signer, keccak256(abi.encode(CONSENT_TYPEHASH, _hashGrantCalldata(terms), deadline)), deadline, signature
        );
        return _createGrant(terms, signer);
    }

    /// @inheritdoc IAccessGrants
    function grantStatutory(Grant calldata terms) external returns (bytes32) {
        if (terms.basis != LegalBasis.StatutoryDuty) revert AccessGrantWrongBasis(terms.basis);
        if (terms.subject == address(0)) revert AccessGrantZeroSubject();
        _requireApprover(msg.sender, terms.owner);
        return _createGrant(terms, msg.sender);
    }

    /// @inheritdoc IAccessGrants
    function revoke(bytes32 grantId) external {
        GrantState storage state = _grants[grantId];
        GrantStatus status = state.status;
        if (status == GrantStatus.None) revert AccessGrantUnknown(grantId);
        if (status == GrantStatus.Revoked) revert AccessGrantRevoked(grantId);
        if (state.basis == LegalBasis.Consent) {
            if (msg.sender != state.grantor) revert AccessGrantNotGrantor(msg.sender, grantId);
        } else {
            _requireApprover(msg.sender, _issuers[grantId]);
        }
        state.status = GrantStatus.Revoked;
        emit GrantRevoked(grantId, msg.sender);
    }

    /// @inheritdoc IAccessGrants
    function revokeConsent(Grant calldata terms) external {
        if (terms.basis != LegalBasis.Consent) revert AccessGrantWrongBasis(terms.basis);
        if (!_controls(msg.sender, terms.subject)) revert AccessGrantNotSubjectController(msg.sender, terms.subject);
        bytes32 grantId = _hashGrantCalldata(terms);
        GrantState storage state = _grants[grantId];
        if (state.status == GrantStatus.Revoked) revert AccessGrantRevoked(grantId);
        if (state.status == GrantStatus.None) state.grantor = msg.sender;
        state.status = GrantStatus.Revoked;
        emit GrantRevoked(grantId, msg.sender);
    }

    /// @inheritdoc IAccessGrants
    function recordAccess(Grant calldata terms, bytes32 category, bytes32 requestHash) external {
        bytes32 grantId = _hashGrantCalldata(terms);
        GrantState storage state = _grants[grantId];
        GrantState memory current = state;
        if (current.status != GrantStatus.Live) {
            if (current.status == GrantStatus.None) revert AccessGrantUnknown(grantId);
            revert AccessGrantRevoked(grantId);
        }
        if (block.timestamp < terms.validFrom) revert AccessGrantNotYetValid(grantId, terms.validFrom);
        if (block.timestamp >= terms.validUntil) revert AccessGrantExpired(grantId, terms.validUntil);
        if (!departments.isActiveMember(msg.sender, terms.grantee, ROLE_STAFF)) {
            revert AccessGrantNotStaff(msg.sender, terms.grantee);
        }
        (IDataCatalog.SharingClass sharing, bool sensitive) = catalog.sharingOf(category);
        if (sharing == IDataCatalog.SharingClass.NotShared) revert AccessGrantCategoryNotShared(category);
        if (!_covers(terms, category, sensitive)) revert AccessGrantCategoryNotCovered(grantId, category);
        uint32 maxUses = terms.maxUses;
        if (maxUses != 0) {
            if (current.uses >= maxUses) revert AccessGrantUsesExhausted(grantId, maxUses);
            state.uses = current.uses + 1;
        }
        emit AccessRecorded(
            terms.subject, terms.owner, terms.grantee, category, terms.purposeHash, msg.sender, requestHash, grantId
        );
    }

    /// @inheritdoc IAccessGrants
    function recordOpenAccess(bytes32 category, bytes32 purposeHash, bytes32 requestHash) external {
        (bytes32 dept, uint8 roles, bool active) = departments.memberOf(msg.sender);
        if (dept == bytes32(0) || !active || roles & ROLE_STAFF == 0) revert AccessGrantNotStaff(msg.sender, dept);
        (bytes32 owner, IDataCatalog.SharingClass sharing,) = catalog.categoryInfo(category);
        if (sharing != IDataCatalog.SharingClass.Unconditional) revert AccessGrantNotUnconditional(category);
        emit AccessRecorded(address(0), owner, dept, category, purposeHash, msg.sender, requestHash, bytes32(0));
    }

    /// @inheritdoc IAccessGrants
    function grantIdOf(Grant calldata terms) external pure returns (bytes32) {
        return _hashGrantCalldata(terms);
    }

    /// @inheritdoc IAccessGrants
    function grantState(bytes32 grantId) external view returns (GrantState memory) {
        return _grants[grantId];
    }

    /// @inheritdoc IAccessGrants
    function isLive(Grant calldata terms, bytes32 category) external view returns (bool) {
        GrantState memory current = _grants[_hashGrantCalldata(terms)];
        if (current.status != GrantStatus.Live) return false;
        if (block.timestamp < terms.validFrom || block.timestamp >= terms.validUntil) return false;
        if (terms.maxUses != 0 && current.uses >= terms.maxUses) return false;
        (IDataCatalog.SharingClass sharing, bool sensitive) = catalog.sharingOf(category);
        if (sharing == IDataCatalog.SharingClass.None || sharing == IDataCatalog.SharingClass.NotShared) return false;
        return _covers(terms, category, sensitive);
    }

    /// @dev Reverts unless `signer` may consent for `terms.subject` and the basis is Consent.
    function _checkConsent(Grant calldata terms, address signer) private view {
        if (terms.basis != LegalBasis.Consent) revert AccessGrantWrongBasis(terms.basis);
        if (terms.subject == address(0)) revert AccessGrantZeroSubject();
        if (!_controls(signer, terms.subject)) revert AccessGrantNotSubjectController(signer, terms.subject);
    }

    /**
     * @dev Named explicitly, or the grant names its owner (every non-sensitive category of the
     * owner) and `category` is a non-sensitive category of that owner.
     */
    function _covers(Grant calldata terms, bytes32 category, bool sensitive) private view returns (bool) {
        bytes32 owner = terms.owner;
        bool wholeOwner;
        uint256 n = terms.categories.length;
        for (uint256 i; i < n; ++i) {
            bytes32 code = terms.categories[i];
            if (code == category) return true;
            if (code == owner) wholeOwner = true;
        }
        return wholeOwner && !sensitive && catalog.ownerOf(category) == owner;
    }
}
