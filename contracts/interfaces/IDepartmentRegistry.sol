// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @dev Member roles are bits of a `uint8`; a member may hold several.
uint8 constant ROLE_STAFF = 1;
uint8 constant ROLE_APPROVER = 2;
uint8 constant ROLE_ADMIN = 4;
uint8 constant ROLE_AUDITOR = 8;
uint8 constant ALL_ROLES = 15;

/**
 * @title IDepartmentRegistry
 * @notice Government departments, their member keys and roles, admitted and governed by the
 * platform council. Every other govchain contract checks permissions through the views below,
 * so a suspended or retired department's members lose every right at once, everywhere.
 *
 * Life cycle: Proposed -> Active <-> Suspended -> Retired (a Proposed department may also be
 * Retired, which rejects it). Status changes and admin-key replacement are council-only: the
 * council is the Council contract, which executes them after M-of-N approvals.
 */
interface IDepartmentRegistry {
    enum DepartmentStatus {
        None,
        Proposed,
        Active,
        Suspended,
        Retired
    }

    /// @notice A department created at deployment, active at once, with its first admin key.
    struct Founder {
        bytes32 code;
        string name;
        uint32 region;
        string endpoint;
        bytes32 metadataHash;
        address admin;
    }

    /// @notice What a reader needs to discover and contact a department.
    struct DepartmentView {
        bytes32 code;
        string name;
        uint32 region;
        DepartmentStatus status;
        string endpoint;
        bytes32 metadataHash;
        uint32 adminCount;
    }

    /// @notice The caller is not the council.
    error DepartmentUnauthorizedCouncil(address caller);
    /// @notice The caller is not an ADMIN member of an Active department.
    error DepartmentUnauthorizedAdmin(address caller);
    /// @notice A department is proposed by its own first ADMIN key `admin`, not by `caller`.
    error DepartmentUnauthorizedProposer(address caller, address admin);
    /// @notice A department code must not be zero.
    error DepartmentInvalidCode();
    /// @notice A department with this code exists already.
    error DepartmentAlreadyExists(bytes32 code);
    /// @notice No department has this code.
    error DepartmentUnknown(bytes32 code);
    /// @notice The status change is not allowed from the current status.
    error DepartmentInvalidTransition(bytes32 code, DepartmentStatus from, DepartmentStatus to);
    /// @notice The region is not a six-digit GB/T 2260 administrative division code.
    error DepartmentInvalidRegion(uint32 region);
    /// @notice The name is empty or longer than the maximum.
    error DepartmentInvalidName(uint256 length, uint256 max);
    /// @notice The data-node endpoint is longer than the maximum.
    error DepartmentEndpointTooLong(uint256 length, uint256 max);
    /// @notice A member key or admin must not be the zero address.
    error DepartmentZeroAddress();
    /// @notice Roles must be a non-empty combination of STAFF, APPROVER, ADMIN, AUDITOR.
    error DepartmentInvalidRoles(uint8 roles);
    /// @notice The key already belongs to a department (a key belongs to one department only).
    error DepartmentMemberExists(address account, bytes32 department);
    /// @notice The key is not a member of this department.
    error DepartmentNotMember(address account, bytes32 department);
    /// @notice The change would leave the department without an ADMIN.
    error DepartmentLastAdmin(bytes32 department, address admin);

    /// @notice A department was proposed for admission (or founded at deployment).
    event DepartmentProposed(bytes32 indexed code, uint32 region, string name, address admin, address indexed by);
    /// @notice A department's status changed (admitted, suspended, reinstated, retired).
    event DepartmentStatusChanged(
        bytes32 indexed code, DepartmentStatus from, DepartmentStatus to, address indexed by
    );
    /// @notice A department's data-node endpoint changed.
    event DepartmentEndpointChanged(bytes32 indexed code, string endpoint, address indexed by);
    /// @notice A department's metadata hash (catalog document, certificates) changed.
    event DepartmentMetadataChanged(bytes32 indexed code, bytes32 metadataHash, address indexed by);
    /// @notice A key joined a department with `roles`.
    event MemberAdded(bytes32 indexed department, address indexed account, uint8 roles, address indexed by);
    /// @notice A member's roles changed.
    event MemberRolesChanged(bytes32 indexed department, address indexed account, uint8 roles, address indexed by);
    /// @notice A key left a department.
    event MemberRemoved(bytes32 indexed department, address indexed account, address indexed by);

    /**
     * @notice Whether `account` is a member of `dept`, holds every bit of `role`, and
     * `dept` is Active.
     */
    function isActiveMember(address account, bytes32 dept, uint8 role) external view returns (bool);

    /**
     * @notice The department `account` belongs to (zero if none), its roles there, and whether
     * that department is Active.
     */
    function memberOf(address account) external view returns (bytes32 dept, uint8 roles, bool active);

    /// @notice The status of `dept` (None if unknown).
    function departmentStatus(bytes32 dept) external view returns (DepartmentStatus);

    /// @notice Everything about `code`. Reverts with {DepartmentUnknown} if there is none.
    function department(bytes32 code) external view returns (DepartmentView memory);

    /// @notice How many departments were ever proposed; with {departmentAt}, discovery.
    function departmentCount() external view returns (uint256);

    /// @notice The code of the `index`-th department proposed.
    function departmentAt(uint256 index) external view returns (bytes32);

    /// @notice The council address (the Council contract) allowed to change statuses.
    function council() external view returns (address);

    /**
     * @notice Applies for admission: records the department as Proposed with its first ADMIN key.
     * The key holds no right until the council admits the department.
     *
     * Requirements: the caller is `admin` (an applicant proves it holds its first ADMIN key, so
     * nobody can bind another's key to a department); `code` non-zero and unused; valid name,
     * region and endpoint; `admin` not zero and in no department.
     *
     * Emits {DepartmentProposed} and {MemberAdded}.
     */
    function propose(
        bytes32 code,
        string calldata name,
        uint32 region,
        string calldata endpoint,
        bytes32 metadataHash,
        address admin
    ) external;

    /// @notice Council: Proposed -> Active. Emits {DepartmentStatusChanged}.
    function admit(bytes32 code) external;

    /// @notice Council: Active -> Suspended; every member loses every right at once.
    function suspend(bytes32 code) external;

    /// @notice Council: Suspended -> Active.
    function reinstate(bytes32 code) external;

    /// @notice Council: Proposed, Active or Suspended -> Retired, for good.
    function retire(bytes32 code) external;

    /**
     * @notice Council: replace a department's admin key (a lost or compromised key). `oldAdmin`
     * (if not zero) is removed; `newAdmin` joins with the ADMIN role.
     *
     * Emits {MemberRemoved} and {MemberAdded}.
     */
    function replaceAdmin(bytes32 code, address oldAdmin, address newAdmin) external;

    /**
     * @notice ADMIN: add `account` to the caller's department with `roles`.
     *
     * Requirements: caller is an ADMIN of an Active department; `account` not zero and in no
     * department; `roles` valid. Emits {MemberAdded}.
     */
    function addMember(address account, uint8 roles) external;

    /// @notice ADMIN: change a member's roles. Emits {MemberRolesChanged}.
    function setMemberRoles(address account, uint8 roles) external;

    /// @notice ADMIN: remove a member of the caller's department. Emits {MemberRemoved}.
    function removeMember(address account) external;

    /// @notice ADMIN: set the caller's department's data-node endpoint. Emits {DepartmentEndpointChanged}.
    function setEndpoint(string calldata endpoint) external;

    /// @notice ADMIN: set the caller's department's metadata hash. Emits {DepartmentMetadataChanged}.
    function setMetadataHash(bytes32 metadataHash) external;
}
