// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureVerifier} from "../common/SignatureVerifier.sol";
import {IAccessGrants, ICategoryClassListener} from "../interfaces/IAccessGrants.sol";
import {IDataCatalog} from "../interfaces/IDataCatalog.sol";
import {IDepartmentRegistry, ROLE_STAFF, ROLE_APPROVER} from "../interfaces/IDepartmentRegistry.sol";
import {ICitizenRegistry} from "../interfaces/ICitizenRegistry.sol";
import {GrantStore} from "./GrantStore.sol";
import {ShareRequests} from "./ShareRequests.sol";

/**
 * @title AccessGrants
 * @notice Consent, statutory and approved grants, their revocation, and the access records
 * that the owners' data nodes require before releasing anything.
 */
contract AccessGrants is ShareRequests, SignatureVerifier {
    /// @dev keccak256("GrantConsent(Grant grant,address signer,uint256 deadline)Grant(address subject,bytes32 grantee,bytes32 owner,bytes32[] categories,bytes32 purposeHash,uint8 basis,uint40 validFrom,uint40 validUntil,uint32 maxUses,uint256 nonce)")
    bytes32 public constant CONSENT_TYPEHASH = keccak256(
        "GrantConsent(Grant grant,address signer,uint256 deadline)Grant(address subject,bytes32 grantee,bytes32 owner,bytes32[] categories,bytes32 purposeHash,uint8 basis,uint40 validFrom,uint40 validUntil,uint32 maxUses,uint256 nonce)"
    );

    /// @dev Categories the catalog reported NotShared after they could be granted.
    mapping(bytes32 category => bool) private _notShared;

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
            signer,
            keccak256(abi.encode(CONSENT_TYPEHASH, _hashGrantCalldata(terms), signer, deadline)),
            deadline,
            signature
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
    function revokeByTerms(Grant calldata terms) external {
        bytes32 grantId = _hashGrantCalldata(terms);
        GrantState storage state = _grants[grantId];
        bool ownerSide = departments.isActiveMember(msg.sender, terms.owner, ROLE_APPROVER);
        if (!ownerSide) {
            if (terms.basis != LegalBasis.Consent) revert AccessGrantNotApprover(msg.sender, terms.owner);
            if (!_controls(msg.sender, terms.subject)) {
                revert AccessGrantNotSubjectController(msg.sender, terms.subject);
            }
        }
        GrantStatus status = state.status;
        if (status == GrantStatus.Revoked) revert AccessGrantRevoked(grantId);
        if (status == GrantStatus.None) {
            if (ownerSide) revert AccessGrantUnknown(grantId);
            state.grantor = msg.sender; // a consent cancelled before it was relayed
        }
        state.status = GrantStatus.Revoked;
        emit GrantRevoked(grantId, msg.sender);
    }

    /// @inheritdoc IAccessGrants
    function confirmConsent(Grant calldata terms) external {
        (bytes32 grantId, GrantState storage state, uint256 epoch) = _previousConsent(terms);
        state.epoch = uint32(epoch);
        emit ConsentConfirmed(grantId, terms.subject, epoch, msg.sender);
    }

    /// @inheritdoc IAccessGrants
    function revokePreviousConsents(Grant[] calldata terms) external {
        uint256 n = terms.length;
        for (uint256 i; i < n; ++i) {
            (bytes32 grantId, GrantState storage state,) = _previousConsent(terms[i]);
            state.status = GrantStatus.Revoked;
            emit GrantRevoked(grantId, msg.sender);
        }
    }

    /// @inheritdoc IAccessGrants
    function consentCurrent(bytes32 grantId, address subject) public view returns (bool) {
        GrantState memory current = _grants[grantId];
        return current.basis != LegalBasis.Consent || current.epoch == citizens.ownerEpoch(subject);
    }

    /// @inheritdoc IAccessGrants
    function recordAccess(Grant calldata terms, bytes32 category, bytes32 requestHash) external {
        bytes32 grantId = _hashGrantCalldata(terms);
        GrantState storage state = _grants[grantId];
        GrantState memory current = state;
        AccessStatus status = _accessStatus(terms, current, category, msg.sender, true);
        if (status != AccessStatus.Live) _refuseAccess(status, terms, grantId, current, category);
        uint32 maxUses = terms.maxUses;
        if (maxUses != 0) state.uses = current.uses + 1;
        emit AccessRecorded(
            terms.subject, terms.owner, terms.grantee, category, terms.purposeHash, msg.sender, requestHash, grantId
        );
    }

    /// @inheritdoc ICategoryClassListener
    function categoryClassChanged(bytes32 category, bool notShared) external {
        if (msg.sender != address(catalog)) revert AccessGrantUnauthorizedCatalog(msg.sender);
        _notShared[category] = notShared;
        emit CategoryClassSynced(category, notShared);
    }

    /// @inheritdoc IAccessGrants
    function recordOpenAccess(bytes32 category, bytes32 purposeHash, bytes32 requestHash) external {
        (bytes32 dept, uint8 roles, bool active) = departments.memberOf(msg.sender);
        if (dept == bytes32(0) || !active || roles & ROLE_STAFF == 0) revert AccessGrantNotStaff(msg.sender, dept);
        // slither-disable-next-line unused-return (the sensitive flag does not affect open access)
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
        bytes32 grantId = _hashGrantCalldata(terms);
        return _accessStatus(terms, _grants[grantId], category, address(0), false) == AccessStatus.Live;
    }

    /// @inheritdoc IAccessGrants
    function accessStatus(Grant calldata terms, bytes32 category, address member)
        external
        view
        returns (AccessStatus)
    {
        bytes32 grantId = _hashGrantCalldata(terms);
        return _accessStatus(terms, _grants[grantId], category, member, true);
    }

    /**
     * @dev The one statement of the access rule: {recordAccess} refuses exactly when this is not
     * Live, and {accessStatus} returns it. Checks in the order {recordAccess} reports them; the
     * membership of `member` only if `checkMember` ({isLive} leaves it aside). The catalog and
     * the department registry are read only when the cheaper checks pass.
     */
    function _accessStatus(
        Grant calldata terms,
        GrantState memory current,
        bytes32 category,
        address member,
        bool checkMember
    ) private view returns (AccessStatus) {
        if (current.status != GrantStatus.Live) {
            return current.status == GrantStatus.None ? AccessStatus.Unknown : AccessStatus.Revoked;
        }
        if (current.basis == LegalBasis.Consent && current.epoch != citizens.ownerEpoch(terms.subject)) {
            return AccessStatus.PreviousOwnerConsent;
        }
        if (block.timestamp < terms.validFrom) return AccessStatus.NotYetValid;
        if (block.timestamp >= terms.validUntil) return AccessStatus.Expired;
        if (checkMember && !departments.isActiveMember(member, terms.grantee, ROLE_STAFF)) {
            // the failing path only: tell a non-member from a member of an inactive department
            return departments.departmentStatus(terms.grantee) == IDepartmentRegistry.DepartmentStatus.Active
                ? AccessStatus.NotStaff
                : AccessStatus.GranteeInactive;
        }
        if (_named(terms, category)) {
            if (_notShared[category]) return AccessStatus.NotShared;
        } else {
            if (!_namesOwner(terms)) return AccessStatus.NotCovered;
            (bytes32 owner, IDataCatalog.SharingClass sharing, bool sensitive) = catalog.categoryInfo(category);
            if (owner != terms.owner || sensitive) return AccessStatus.NotCovered;
            if (sharing == IDataCatalog.SharingClass.NotShared) return AccessStatus.NotShared;
        }
        if (terms.maxUses != 0 && current.uses >= terms.maxUses) return AccessStatus.UsedUp;
        return AccessStatus.Live;
    }

    /// @dev Reverts with the custom error of {recordAccess} for a `status` other than Live.
    function _refuseAccess(
        AccessStatus status,
        Grant calldata terms,
        bytes32 grantId,
        GrantState memory current,
        bytes32 category
    ) private view {
        if (status == AccessStatus.Unknown) revert AccessGrantUnknown(grantId);
        if (status == AccessStatus.Revoked) revert AccessGrantRevoked(grantId);
        if (status == AccessStatus.PreviousOwnerConsent) {
            revert AccessGrantPreviousOwnerConsent(grantId, current.epoch, citizens.ownerEpoch(terms.subject));
        }
        if (status == AccessStatus.NotYetValid) revert AccessGrantNotYetValid(grantId, terms.validFrom);
        if (status == AccessStatus.Expired) revert AccessGrantExpired(grantId, terms.validUntil);
        if (status == AccessStatus.NotStaff || status == AccessStatus.GranteeInactive) {
            revert AccessGrantNotStaff(msg.sender, terms.grantee);
        }
        if (status == AccessStatus.NotCovered) revert AccessGrantCategoryNotCovered(grantId, category);
        if (status == AccessStatus.NotShared) revert AccessGrantCategoryNotShared(category);
        revert AccessGrantUsesExhausted(grantId, terms.maxUses);
    }

    /**
     * @dev The Live Consent grant with `terms`, given under a previous owner epoch of its subject
     * whose current owner key is the caller; reverts otherwise. Returns the current epoch.
     */
    function _previousConsent(Grant calldata terms)
        private
        view
        returns (bytes32 grantId, GrantState storage state, uint256 epoch)
    {
        if (citizens.identityOwner(terms.subject) != msg.sender) {
            revert AccessGrantNotSubjectOwner(msg.sender, terms.subject);
        }
        grantId = _hashGrantCalldata(terms);
        state = _grants[grantId];
        GrantStatus status = state.status;
        if (status == GrantStatus.None) revert AccessGrantUnknown(grantId);
        if (status == GrantStatus.Revoked) revert AccessGrantRevoked(grantId);
        if (state.basis != LegalBasis.Consent) revert AccessGrantWrongBasis(state.basis);
        epoch = citizens.ownerEpoch(terms.subject);
        if (state.epoch == epoch) revert AccessGrantConsentCurrent(grantId, epoch);
    }

    /// @dev Reverts unless `signer` may consent for `terms.subject` and the basis is Consent.
    function _checkConsent(Grant calldata terms, address signer) private view {
        if (terms.basis != LegalBasis.Consent) revert AccessGrantWrongBasis(terms.basis);
        if (terms.subject == address(0)) revert AccessGrantZeroSubject();
        if (!_controls(signer, terms.subject)) revert AccessGrantNotSubjectController(signer, terms.subject);
    }

    /// @dev Whether the grant names `category` (checked against the catalog when granted).
    function _named(Grant calldata terms, bytes32 category) private pure returns (bool) {
        uint256 n = terms.categories.length;
        for (uint256 i; i < n; ++i) {
            if (terms.categories[i] == category) return true;
        }
        return false;
    }

    /// @dev Whether the grant names its owner, i.e. covers every non-sensitive category of it.
    function _namesOwner(Grant calldata terms) private pure returns (bool) {
        return _named(terms, terms.owner);
    }
}
