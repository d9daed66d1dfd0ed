// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ICategoryClassListener} from "../interfaces/IAccessGrants.sol";
import {IDataCatalog} from "../interfaces/IDataCatalog.sol";
import {IDepartmentRegistry, ROLE_ADMIN} from "../interfaces/IDepartmentRegistry.sol";

/**
 * @title DataCatalog
 * @notice Catalog of data categories with owner, sharing class and sensitive flag. Only an
 * active ADMIN of the owner department registers or edits its categories; every change is an
 * event. A sensitive category stays sensitive and is never Unconditional. {AnchorRegistry} extends this contract so that anchoring reads the category's owner
 * from its own storage (one deployment serves both; it is also the catalog AccessGrants reads).
 */
contract DataCatalog is IDataCatalog {
    /// @notice The department registry whose roles govern the catalog.
    IDepartmentRegistry public immutable departments;

    address private immutable _deployer;
    ICategoryClassListener private _accessGrants;

    /**
     * @dev A {Category} as stored. Every read a permission check makes (owner, sharing class,
     * sensitive flag) is one slot: a department code is at most 29 bytes, zero-padded to 32
     * ({IDepartmentRegistry}), so `bytes29` holds it whole, and the owner is always a code the
     * registry gave back ({registerCategory} takes it from `memberOf`). `bytes32(owner)` is the
     * code again.
     */
    struct Entry {
        bytes29 owner;
        SharingClass sharing;
        bool sensitive;
        uint32 updateCycle;
        bytes32 schemaHash;
    }

    mapping(bytes32 code => Entry) private _categories;

    constructor(IDepartmentRegistry departments_) {
        departments = departments_;
        _deployer = msg.sender;
    }

    /// @inheritdoc IDataCatalog
    function setAccessGrants(address grants) external {
        if (msg.sender != _deployer) revert CatalogUnauthorizedDeployer(msg.sender);
        if (address(_accessGrants) != address(0)) revert CatalogAccessGrantsAlreadySet(address(_accessGrants));
        if (grants == address(0)) revert CatalogZeroAddress();
        _accessGrants = ICategoryClassListener(grants);
        emit AccessGrantsLinked(grants, msg.sender);
    }

    /// @inheritdoc IDataCatalog
    function accessGrants() external view returns (address) {
        return address(_accessGrants);
    }

    /// @inheritdoc IDataCatalog
    function registerCategory(
        bytes32 code,
        SharingClass sharing,
        bool sensitive,
        bytes32 schemaHash,
        uint32 updateCycle
    ) external {
        (bytes32 dept, uint8 roles, bool active) = departments.memberOf(msg.sender);
        if (dept == bytes32(0) || !active || roles & ROLE_ADMIN == 0) revert CatalogNotAdmin(msg.sender, dept);
        if (code == bytes32(0) || code == dept) revert CatalogInvalidCode(code);
        if (!_inNamespace(code, dept)) revert CatalogCodeOutsideNamespace(code, dept);
        if (sharing == SharingClass.None) revert CatalogInvalidSharingClass(sharing);
        if (sensitive && sharing == SharingClass.Unconditional) revert CatalogSensitiveUnconditional(code);
        Entry storage entry = _categories[code];
        if (entry.owner != bytes29(0)) revert CatalogCategoryExists(code, bytes32(entry.owner));
        entry.owner = bytes29(dept);
        _write(entry, sharing, sensitive, schemaHash, updateCycle);
        emit CategoryRegistered(code, dept, sharing, sensitive, schemaHash, updateCycle, msg.sender);
    }

    /// @inheritdoc IDataCatalog
    function updateCategory(
        bytes32 code,
        SharingClass sharing,
        bool sensitive,
        bytes32 schemaHash,
        uint32 updateCycle
    ) external {
        Entry storage entry = _categories[code];
        bytes32 owner = bytes32(entry.owner);
        if (owner == bytes32(0)) revert CatalogUnknownCategory(code);
        if (!departments.isActiveMember(msg.sender, owner, ROLE_ADMIN)) revert CatalogNotAdmin(msg.sender, owner);
        if (sharing == SharingClass.None) revert CatalogInvalidSharingClass(sharing);
        // a one-way ratchet: clearing the flag would widen every owner-wide grant (review s28 S-1)
        if (entry.sensitive && !sensitive) revert CatalogSensitiveIsFinal(code);
        if (sensitive && sharing == SharingClass.Unconditional) revert CatalogSensitiveUnconditional(code);
        bool wasNotShared = entry.sharing == SharingClass.NotShared;
        bool notShared = sharing == SharingClass.NotShared;
        _write(entry, sharing, sensitive, schemaHash, updateCycle);
        emit CategoryUpdated(code, owner, sharing, sensitive, schemaHash, updateCycle, msg.sender);
        if (wasNotShared != notShared && address(_accessGrants) != address(0)) {
            _accessGrants.categoryClassChanged(code, notShared);
        }
    }

    /// @inheritdoc IDataCatalog
    function category(bytes32 code) external view returns (Category memory) {
        Entry storage entry = _categories[code];
        if (entry.owner == bytes29(0)) revert CatalogUnknownCategory(code);
        return Category(bytes32(entry.owner), entry.sharing, entry.sensitive, entry.updateCycle, entry.schemaHash);
    }

    /// @inheritdoc IDataCatalog
    function ownerOf(bytes32 code) external view returns (bytes32) {
        return bytes32(_categories[code].owner);
    }

    /// @inheritdoc IDataCatalog
    function sharingOf(bytes32 code) external view returns (SharingClass, bool) {
        Entry storage entry = _categories[code];
        return (entry.sharing, entry.sensitive);
    }

    /// @inheritdoc IDataCatalog
    function categoryInfo(bytes32 code) external view returns (bytes32, SharingClass, bool) {
        Entry storage entry = _categories[code];
        return (bytes32(entry.owner), entry.sharing, entry.sensitive);
    }

    /// @dev The owner of `code` (zero if unknown), for the anchors' checks.
    function _ownerOf(bytes32 code) internal view returns (bytes32) {
        return bytes32(_categories[code].owner);
    }

    /**
     * @dev Whether `code` lies in `dept`'s namespace: it starts with the department's code (an
     * ASCII code right-padded with zero bytes), then a dot, then at least one more byte. So a
     * department's codes are its own by construction: no other admin can register (squat) them,
     * and no code is in two namespaces (a department code holds no zero byte before its end).
     */
    function _inNamespace(bytes32 code, bytes32 dept) private pure returns (bool) {
        uint256 len = 0;
        while (len < 30 && dept[len] != 0) ++len;
        // a department code of 30 or more bytes leaves no room for ".x"
        if (len == 0 || len >= 30) return false;
        bytes32 prefix = bytes32(type(uint256).max << (256 - 8 * len));
        return dept & ~prefix == 0 && (code ^ dept) & prefix == 0 && code[len] == "." && code[len + 1] != 0;
    }

    function _write(
        Entry storage entry,
        SharingClass sharing,
        bool sensitive,
        bytes32 schemaHash,
        uint32 updateCycle
    ) private {
        entry.sharing = sharing;
        entry.sensitive = sensitive;
        entry.updateCycle = updateCycle;
        entry.schemaHash = schemaHash;
    }
}
