// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessGrants} from "../interfaces/IAccessGrants.sol";
import {IDataCatalog} from "../interfaces/IDataCatalog.sol";
import {IDepartmentRegistry, ROLE_APPROVER} from "../interfaces/IDepartmentRegistry.sol";
import {ICitizenRegistry, DELEGATE_AGENT} from "../interfaces/ICitizenRegistry.sol";

/**
 * @title GrantStore
 * @notice Storage of grants, the grant id (EIP-712 struct hash of the terms) and the checks
 * every way of creating a grant shares. One slot per grant; terms stay in calldata and events.
 */
abstract contract GrantStore is IAccessGrants {
    /// @dev keccak256("Grant(address subject,bytes32 grantee,bytes32 owner,bytes32[] categories,bytes32 purposeHash,uint8 basis,uint40 validFrom,uint40 validUntil,uint32 maxUses,uint256 nonce)")
    bytes32 public constant GRANT_TYPEHASH = keccak256(
        "Grant(address subject,bytes32 grantee,bytes32 owner,bytes32[] categories,bytes32 purposeHash,uint8 basis,uint40 validFrom,uint40 validUntil,uint32 maxUses,uint256 nonce)"
    );

    /// @notice Departments and their members' roles.
    IDepartmentRegistry public immutable departments;
    /// @notice Citizen identities and their delegates.
    ICitizenRegistry public immutable citizens;
    /// @notice The data catalog (the AnchorRegistry deployment).
    IDataCatalog public immutable catalog;

    mapping(bytes32 grantId => GrantState) internal _grants;
    /// @dev Owner department of StatutoryDuty and OwnerApproval grants, whose approvers revoke them.
    mapping(bytes32 grantId => bytes32 owner) internal _issuers;

    constructor(IDepartmentRegistry departments_, ICitizenRegistry citizens_, IDataCatalog catalog_) {
        departments = departments_;
        citizens = citizens_;
        catalog = catalog_;
    }

    /// @dev Stores and announces a new grant after every check common to all bases.
    function _createGrant(Grant memory terms, address grantor) internal returns (bytes32 grantId) {
        if (terms.validFrom >= terms.validUntil || terms.validUntil <= block.timestamp) {
            revert AccessGrantInvalidWindow(terms.validFrom, terms.validUntil);
        }
        if (departments.departmentStatus(terms.grantee) != IDepartmentRegistry.DepartmentStatus.Active) {
            revert AccessGrantGranteeInactive(terms.grantee);
        }
        _checkCategories(terms.owner, terms.categories, false);
        grantId = _hashGrant(terms);
        GrantStatus status = _grants[grantId].status;
        if (status == GrantStatus.Live) revert AccessGrantAlreadyExists(grantId);
        if (status == GrantStatus.Revoked) revert AccessGrantRevoked(grantId);
        uint32 epoch = terms.basis == LegalBasis.Consent ? uint32(citizens.ownerEpoch(terms.subject)) : 0;
        _storeNewGrant(_grants[grantId], grantor, terms.basis, epoch);
        if (terms.basis != LegalBasis.Consent) _issuers[grantId] = terms.owner;
        emit GrantCreated(
            grantId,
            terms.subject,
            terms.grantee,
            terms.owner,
            terms.categories,
            terms.purposeHash,
            terms.basis,
            terms.validFrom,
            terms.validUntil,
            terms.maxUses,
            terms.nonce,
            grantor
        );
    }

    /**
     * @dev Reverts unless every entry is `owner` (its non-sensitive categories) or a category
     * of `owner` that is not NotShared (Conditional only, if `conditionalOnly`).
     */
    function _checkCategories(bytes32 owner, bytes32[] memory categories, bool conditionalOnly) internal view {
        uint256 n = categories.length;
        if (n == 0) revert AccessGrantNoCategories();
        for (uint256 i; i < n; ++i) {
            bytes32 code = categories[i];
            if (code == owner && !conditionalOnly) continue;
            // slither-disable-next-line unused-return (the sensitive flag does not affect who may be granted)
            (bytes32 actualOwner, IDataCatalog.SharingClass sharing,) = catalog.categoryInfo(code);
            if (sharing == IDataCatalog.SharingClass.None) revert AccessGrantUnknownCategory(code);
            if (actualOwner != owner) revert AccessGrantWrongOwner(code, actualOwner);
            if (sharing == IDataCatalog.SharingClass.NotShared) revert AccessGrantCategoryNotShared(code);
            if (conditionalOnly && sharing != IDataCatalog.SharingClass.Conditional) _notConditional(code);
        }
    }

    /**
     * @dev Writes a new Live {GrantState} (`uses` 0) with one SSTORE: the legacy code generator
     * writes a struct member by member (one SSTORE and one SLOAD more per member, ~800 gas).
     * The word is the struct's own storage layout, low bits first: grantor (bits 0-159), status
     * (160-167), basis (168-175), uses (176-207), epoch (208-239); tests read every member back
     * through {grantState}. Only for a slot whose status is None, which is then all zero (only
     * {revokeByTerms} writes a grantor, and it also sets Revoked).
     */
    function _storeNewGrant(GrantState storage state, address grantor, LegalBasis basis, uint32 epoch) private {
        uint256 word = uint256(uint160(grantor)) | (uint256(uint8(GrantStatus.Live)) << 160)
            | (uint256(uint8(basis)) << 168) | (uint256(epoch) << 208);
        assembly ("memory-safe") {
            sstore(state.slot, word)
        }
    }

    /// @dev Hook for requests: reverts with their own error.
    function _notConditional(bytes32 code) internal pure virtual;

    /// @dev Whether `account` is the owner key or a valid agent of identity `subject` (the
    /// registry's {ICitizenRegistry-validDelegate} includes the owner epoch).
    function _controls(address account, address subject) internal view returns (bool) {
        return citizens.identityOwner(subject) == account || citizens.validDelegate(subject, DELEGATE_AGENT, account);
    }

    function _requireApprover(address account, bytes32 owner) internal view {
        if (!departments.isActiveMember(account, owner, ROLE_APPROVER)) revert AccessGrantNotApprover(account, owner);
    }

    /// @dev EIP-712 struct hash of grant terms held in memory.
    function _hashGrant(Grant memory t) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                GRANT_TYPEHASH,
                t.subject,
                t.grantee,
                t.owner,
                keccak256(abi.encodePacked(t.categories)),
                t.purposeHash,
                t.basis,
                t.validFrom,
                t.validUntil,
                t.maxUses,
                t.nonce
            )
        );
    }

    /// @dev EIP-712 struct hash of grant terms in calldata (the access path; no copy to memory).
    function _hashGrantCalldata(Grant calldata t) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                GRANT_TYPEHASH,
                t.subject,
                t.grantee,
                t.owner,
                keccak256(abi.encodePacked(t.categories)),
                t.purposeHash,
                t.basis,
                t.validFrom,
                t.validUntil,
                t.maxUses,
                t.nonce
            )
        );
    }
}
