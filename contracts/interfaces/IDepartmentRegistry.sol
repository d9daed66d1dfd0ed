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
 * Retired, which rejects it, or withdrawn by its applicant; the code of a department that was
 * never Active may then be proposed again, the code of one that was Active never). Status
 * changes, admin-key replacement and the removal of any department's members (a compromised
 * key, in a suspended or retired department too) are council-only: the council is the Council
 * contract, which executes them after M-of-N approvals.
 *
 * A key joins a department only with its own consent: the department's ADMIN offers
 * ({addMember}), the key accepts ({acceptMembership}). A key the council marked compromised
 * ({markCompromised}) is removed from its department and can never join one again.
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
    /// @notice A department code must be 1 to 29 printable ASCII characters other than '.',
    /// left-aligned and zero-padded (so that category namespaces "<code>.<name>" never overlap).
    error DepartmentInvalidCode(bytes32 code);
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
    /// @notice The council marked `account` compromised at `since` (unix time): it can never
    /// join a department again.
    error DepartmentKeyCompromised(address account, uint64 since);
    /// @notice `department` offered `account` no membership (or the offer was taken up already).
    error DepartmentNoOffer(address account, bytes32 department);
    /// @notice The offer lapsed: `admin`, who made it, is no longer an ADMIN of `department`, or
    /// `department` is not Active.
    error DepartmentOfferLapsed(bytes32 department, address admin);
    /// @notice Only `founder`, the key that proposed the department and is still its member, may
    /// withdraw its proposal.
    error DepartmentUnauthorizedWithdrawal(address caller, address founder);

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
    /// @notice ADMIN `sender` offered `account` membership of `department` with `roles`; the key
    /// joins when it accepts.
    event MemberOffered(bytes32 indexed department, address indexed account, uint8 roles, address indexed sender);
    /// @notice The council marked `account` compromised (and removed it from `department`, zero
    /// if it belonged to none); it can never join a department again.
    event MemberCompromised(bytes32 indexed department, address indexed account, address indexed sender);

    /**
     * @notice Whether `account` is a member of `dept`, holds every bit of `role`, and
     * `dept` is Active.
     */
    function isActiveMember(address account, bytes32 dept, uint8 role) external view returns (bool);

    /**
     * @notice How many of `accounts`, from the first, are members of `dept` holding every bit
     * of `role` while `dept` is Active: `accounts.length` if all are, the index of the first
     * that is not otherwise (0 if `dept` is not Active or `role` is 0). One call answers
     * {isActiveMember} for a set of signers: the department's status is read once, then one
     * roles slot per account.
     */
    function activeMembersPrefix(bytes32 dept, uint8 role, address[] calldata accounts)
        external
        view
        returns (uint256);

    /**
     * @notice The department `account` belongs to (zero if none), its roles there, and whether
     * that department is Active.
     */
    function memberOf(address account) external view returns (bytes32 dept, uint8 roles, bool active);

    /// @notice The status of `dept` (None if unknown).
    function departmentStatus(bytes32 dept) external view returns (DepartmentStatus);

    /**
     * @notice What a statement of `account` for `dept` rests on, in one call: `dept`'s status
     * and when the council marked `account` compromised (zero if never: see {compromisedSince}).
     */
    function issuerStanding(bytes32 dept, address account)
        external
        view
        returns (DepartmentStatus status, uint64 compromised);

    /// @notice Everything about `code`. Reverts with {DepartmentUnknown} if there is none.
    function department(bytes32 code) external view returns (DepartmentView memory);

    /// @notice How many departments were ever proposed; with {departmentAt}, discovery.
    function departmentCount() external view returns (uint256);

    /// @notice The code of the `index`-th department proposed.
    function departmentAt(uint256 index) external view returns (bytes32);

    /// @notice The council address (the Council contract) allowed to change statuses.
    function council() external view returns (address);

    /// @notice When the council marked `account` compromised (unix time), zero if it never did.
    /// A compromised key is in no department and can never join one.
    function compromisedSince(address account) external view returns (uint64);

    /// @notice The roles `department` offered `account` (zero if none) and the ADMIN who offered.
    function offerOf(address account, bytes32 department) external view returns (uint8 roles, address admin);

    /**
     * @notice Applies for admission: records the department as Proposed with its first ADMIN key.
     * The key holds no right until the council admits the department.
     *
     * Requirements: the caller is `admin` (an applicant proves it holds its first ADMIN key, so
     * nobody can bind another's key to a department); `code` non-zero and unused (or used only by
     * a proposal rejected or withdrawn before it was ever Active); valid name, region and
     * endpoint; `admin` not zero, in no department and not compromised.
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

    /// @notice Council: Proposed, Active or Suspended -> Retired, for good. Retiring a Proposed
    /// department (a rejection) releases its applicant's key and leaves its code free again.
    function retire(bytes32 code) external;

    /// @notice The applicant (the key that proposed `code`, still its member) withdraws its
    /// Proposed department: Proposed -> Retired, its key released, its code free again.
    function withdrawProposal(bytes32 code) external;

    /**
     * @notice Council: replace the admin key of an Active or Suspended department (a lost or
     * compromised key). `oldAdmin` (if not zero) is removed and marked compromised (it can never
     * join a department again); `newAdmin` joins with the ADMIN role.
     *
     * Emits {MemberRemoved}, {MemberCompromised} and {MemberAdded}.
     */
    function replaceAdmin(bytes32 code, address oldAdmin, address newAdmin) external;

    /**
     * @notice Council: remove `account` from its department, whatever the department's status
     * (a suspended department is cleaned up before it is reinstated). May leave the department
     * without an ADMIN; {replaceAdmin} with a zero `oldAdmin` gives it one.
     *
     * Emits {MemberRemoved}.
     */
    function removeMemberByCouncil(address account) external;

    /**
     * @notice Council: mark `account` compromised: it is removed from its department (if any,
     * whatever the department's status) and can never join a department again, so no
     * reinstatement re-activates it.
     *
     * Emits {MemberRemoved} (if it was a member) and {MemberCompromised}.
     */
    function markCompromised(address account) external;

    /**
     * @notice ADMIN: offer `account` membership of the caller's department with `roles`; the key
     * joins when it accepts ({acceptMembership}). A new offer replaces the department's previous
     * one to the same key.
     *
     * Requirements: caller is an ADMIN of an Active department; `account` not zero, in no
     * department and not compromised; `roles` valid. Emits {MemberOffered}.
     */
    function addMember(address account, uint8 roles) external;

    /**
     * @notice The caller accepts `department`'s offer and joins it with the offered roles.
     *
     * Requirements: an offer exists; the ADMIN who made it is still an ADMIN of `department`,
     * which is Active; the caller is in no department and not compromised.
     *
     * Emits {MemberAdded} naming the offering ADMIN.
     */
    function acceptMembership(bytes32 department) external;

    /// @notice ADMIN: change a member's roles. Emits {MemberRolesChanged}.
    function setMemberRoles(address account, uint8 roles) external;

    /// @notice ADMIN: remove a member of the caller's department. Emits {MemberRemoved}.
    function removeMember(address account) external;

    /// @notice ADMIN: set the caller's department's data-node endpoint. Emits {DepartmentEndpointChanged}.
    function setEndpoint(string calldata endpoint) external;

    /// @notice ADMIN: set the caller's department's metadata hash. Emits {DepartmentMetadataChanged}.
    function setMetadataHash(bytes32 metadataHash) external;
}
