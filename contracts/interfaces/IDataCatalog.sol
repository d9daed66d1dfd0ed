// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title IDataCatalog
 * @notice The government data catalog: each data category, the department that owns it and
 * its national sharing class (无条件共享 unconditional / 有条件共享 conditional / 不予共享 not
 * shared).
 *
 * A category code is the category's name in ASCII, right-padded with zero bytes to 32 bytes,
 * the same encoding as department codes: `HRSS.PENSION` is
 * `0x485253532e50454e53494f4e0000...00`. Codes are therefore readable in events and block
 * explorers, at most 32 characters, and start with the owner's department code and a dot: a
 * department registers codes in its own namespace only (`HRSS.` for HRSS), so no department
 * can take (squat) another's codes.
 * A code may not be zero and may not equal its owner's department code: inside a grant the
 * owner's code stands for "every non-sensitive category of that owner" (see IAccessGrants).
 */
interface IDataCatalog {
    /// @notice National sharing classes. `None` marks an unknown category.
    enum SharingClass {
        None,
        Unconditional,
        Conditional,
        NotShared
    }

    /// @notice A catalog entry. Storage: `owner` (29 bytes, a department code)+`sharing`+`sensitive`
    /// in one slot, so a permission check reads one slot; `updateCycle`; `schemaHash`.
    struct Category {
        bytes32 owner;
        SharingClass sharing;
        bool sensitive;
        uint32 updateCycle;
        bytes32 schemaHash;
    }

    /// @notice `account` is not an active ADMIN of `department`.
    error CatalogNotAdmin(address account, bytes32 department);
    /// @notice `code` is zero or equals the owner's department code.
    error CatalogInvalidCode(bytes32 code);
    /// @notice `code` is not in `department`'s namespace: it must start with the department's
    /// code, then a dot and a name (`HRSS.PENSION` for HRSS).
    error CatalogCodeOutsideNamespace(bytes32 code, bytes32 department);
    /// @notice `sharing` is `None`.
    error CatalogInvalidSharingClass(SharingClass sharing);
    /// @notice `code` is already registered.
    error CatalogCategoryExists(bytes32 code, bytes32 owner);
    /// @notice `code` is not registered.
    error CatalogUnknownCategory(bytes32 code);
    /// @notice Only the deployer links the access-grants contract, once.
    error CatalogUnauthorizedDeployer(address caller);
    /// @notice The access-grants contract is linked already, to `grants`.
    error CatalogAccessGrantsAlreadySet(address grants);
    /// @notice The access-grants contract must not be the zero address.
    error CatalogZeroAddress();
    /// @notice `code` is sensitive, and that is final: an owner-wide grant never covers it, so
    /// clearing the flag would widen every such grant without its grantor. Data that is no
    /// longer sensitive is published under a new category code.
    error CatalogSensitiveIsFinal(bytes32 code);
    /// @notice Sensitive category `code` cannot be Unconditional: sensitive data is read only
    /// under a grant that names it, never as open data without one.
    error CatalogSensitiveUnconditional(bytes32 code);

    /// @notice Category `code` was registered by `admin` for department `owner`.
    event CategoryRegistered(
        bytes32 indexed code,
        bytes32 indexed owner,
        SharingClass sharing,
        bool sensitive,
        bytes32 schemaHash,
        uint32 updateCycle,
        address admin
    );

    /// @notice Category `code` of `owner` was changed by `admin`; the values are the new ones.
    event CategoryUpdated(
        bytes32 indexed code,
        bytes32 indexed owner,
        SharingClass sharing,
        bool sensitive,
        bytes32 schemaHash,
        uint32 updateCycle,
        address admin
    );
    /// @notice `grants` is told of every change to or from NotShared, by `account`.
    event AccessGrantsLinked(address indexed grants, address account);

    /**
     * @notice Registers category `code`, owned by the caller's department.
     * @param code ASCII code, right-padded (see the contract notice).
     * @param sharing Unconditional, Conditional or NotShared.
     * @param sensitive Sensitive personal information (PIPL art. 28: health, financial
     * accounts, biometrics, minors' data...). A grant covers it only when it names it. Final:
     * {updateCategory} may set it, never clear it.
     * @param schemaHash Hash of the record schema (e.g. keccak256 of its JSON Schema).
     * @param updateCycle Seconds between scheduled updates; 0 for "on change".
     *
     * Requirements: the caller is an active ADMIN of an Active department; `code` is new,
     * non-zero, not the department's code and in its namespace (`<DEPT>.<name>`); `sharing`
     * is not None, and not Unconditional if `sensitive`.
     *
     * Emits {CategoryRegistered}.
     */
    function registerCategory(
        bytes32 code,
        SharingClass sharing,
        bool sensitive,
        bytes32 schemaHash,
        uint32 updateCycle
    ) external;

    /**
     * @notice Changes the sharing class, sensitive flag, schema hash and update cycle of
     * `code`. The owner never changes. A category reclassified NotShared stops every access
     * at once, under every grant. The sensitive flag is a one-way ratchet: it may be set (the
     * category drops out of every owner-wide grant at once), never cleared (that would widen
     * every citizen's owner-wide consent by one ADMIN key: review s28 S-1).
     *
     * Requirements: `code` exists; the caller is an active ADMIN of its owner; `sharing` is
     * not None; `sensitive` is true if the category is sensitive now; `sharing` is not
     * Unconditional if `sensitive`.
     *
     * Emits {CategoryUpdated}.
     */
    function updateCategory(
        bytes32 code,
        SharingClass sharing,
        bool sensitive,
        bytes32 schemaHash,
        uint32 updateCycle
    ) external;

    /**
     * @notice Links the access-grants contract, which the catalog then tells of every change of
     * a category to or from NotShared, so that a reclassification stops (or resumes) access
     * under every grant at once without a catalog read per access.
     *
     * Requirements: the caller deployed the catalog; not linked before; `grants` non-zero.
     *
     * Emits {AccessGrantsLinked}.
     */
    function setAccessGrants(address grants) external;

    /// @notice The linked access-grants contract (zero until linked).
    function accessGrants() external view returns (address);

    /// @notice The entry of `code`. Reverts with {CatalogUnknownCategory} if unknown.
    function category(bytes32 code) external view returns (Category memory);

    /// @notice The owner department of `code`; zero if unknown.
    function ownerOf(bytes32 code) external view returns (bytes32);

    /// @notice The sharing class of `code` (None if unknown) and its sensitive flag.
    function sharingOf(bytes32 code) external view returns (SharingClass sharing, bool sensitive);

    /// @notice Owner, sharing class (None if unknown) and sensitive flag of `code`.
    function categoryInfo(bytes32 code) external view returns (bytes32 owner, SharingClass sharing, bool sensitive);
}
