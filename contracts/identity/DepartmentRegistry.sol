// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {
    IDepartmentRegistry, ROLE_ADMIN, ALL_ROLES
} from "../interfaces/IDepartmentRegistry.sol";

/**
 * @title DepartmentRegistry
 * @notice Departments, their member keys and roles. See {IDepartmentRegistry}.
 *
 * Storage is laid out for the hot path other contracts call: {isActiveMember}, {memberOf} and
 * {activeMembersPrefix} read one member slot per key and one status slot per department.
 */
contract DepartmentRegistry is IDepartmentRegistry {
    uint256 public constant MAX_NAME_LENGTH = 128;
    uint256 public constant MAX_ENDPOINT_LENGTH = 256;

    struct Department {
        // slot 0: everything a permission check reads
        DepartmentStatus status;
        uint32 region;
        uint32 adminCount;
        bool everActive; // once Active, the code is never proposed again
        address founder; // the key that proposed it (released if the proposal is rejected)
        // other slots
        bytes32 metadataHash;
        string name;
        string endpoint;
    }

    address private immutable _council;

    mapping(bytes32 code => Department) private _departments;
    /**
     * @dev A key's department and roles packed by hand into one word (a key is in at most one
     * department): `uint256(code) | roles`. A department code is 1 to 29 bytes, zero-padded
     * ({_wellFormedCode}), so its last byte is free for the roles. Zero for a non-member.
     */
    mapping(address account => uint256 packed) private _members;

    uint256 private constant _ROLES_MASK = 0xff;
    bytes32[] private _codes;

    /// @dev A department's standing offer to a key: the roles and the ADMIN who made it.
    struct Offer {
        uint8 roles;
        address admin;
    }

    mapping(address account => mapping(bytes32 code => Offer)) private _offers;
    mapping(address account => uint64 since) private _compromisedSince;

    modifier onlyCouncil() {
        if (msg.sender != _council) revert DepartmentUnauthorizedCouncil(msg.sender);
        _;
    }

    /**
     * @param council_ the Council contract (or, in tests of other contracts, any account)
     * @param founders departments active from the start, each with its first ADMIN key
     */
    constructor(address council_, Founder[] memory founders) {
        if (council_ == address(0)) revert DepartmentZeroAddress();
        _council = council_;
        for (uint256 i = 0; i < founders.length; ++i) {
            Founder memory f = founders[i];
            _propose(f.code, f.name, f.region, f.endpoint, f.metadataHash, f.admin);
            _setStatus(f.code, DepartmentStatus.Active);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------

    /// @inheritdoc IDepartmentRegistry
    function isActiveMember(address account, bytes32 code, uint8 role) external view returns (bool) {
        return role != 0 && _members[account] & _mask(role) == _want(code, role)
            && _departments[code].status == DepartmentStatus.Active;
    }

    /// @inheritdoc IDepartmentRegistry
    function activeMembersPrefix(bytes32 code, uint8 role, address[] calldata accounts)
        external
        view
        returns (uint256 n)
    {
        if (role == 0 || _departments[code].status != DepartmentStatus.Active) return 0;
        (uint256 mask, uint256 want) = (_mask(role), _want(code, role));
        // `_members[accounts[n]] & mask == want` for each n, in assembly for the signature check's
        // hot loop (one cold slot per signer): `p` walks the array (its bounds were checked when
        // the call was decoded); the member word's slot is keccak256(account . _members.slot). An
        // address word with dirty upper bits hashes to an empty slot: no member.
        assembly ("memory-safe") {
            mstore(0x20, _members.slot)
            let p := accounts.offset
            let end := add(p, shl(5, accounts.length))
            for {} lt(p, end) { p := add(p, 0x20) } {
                mstore(0x00, calldataload(p))
                if iszero(eq(and(sload(keccak256(0x00, 0x40)), mask), want)) { break }
            }
            n := shr(5, sub(p, accounts.offset))
        }
    }

    /// @inheritdoc IDepartmentRegistry
    function memberOf(address account) public view returns (bytes32 code, uint8 roles, bool active) {
        uint256 packed = _members[account];
        code = bytes32(packed & ~_ROLES_MASK);
        if (code != bytes32(0)) {
            roles = uint8(packed);
            active = _departments[code].status == DepartmentStatus.Active;
        }
    }

    /// @inheritdoc IDepartmentRegistry
    function departmentStatus(bytes32 code) external view returns (DepartmentStatus) {
        return _departments[code].status;
    }

    /// @inheritdoc IDepartmentRegistry
    function issuerStanding(bytes32 code, address account)
        external
        view
        returns (DepartmentStatus status, uint64 compromised)
    {
        return (_departments[code].status, _compromisedSince[account]);
    }

    /// @inheritdoc IDepartmentRegistry
    function department(bytes32 code) external view returns (DepartmentView memory) {
        Department storage d = _departments[code];
        if (d.status == DepartmentStatus.None) revert DepartmentUnknown(code);
        return DepartmentView(code, d.name, d.region, d.status, d.endpoint, d.metadataHash, d.adminCount);
    }

    /// @inheritdoc IDepartmentRegistry
    function departmentCount() external view returns (uint256) {
        return _codes.length;
    }

    /// @inheritdoc IDepartmentRegistry
    function departmentAt(uint256 index) external view returns (bytes32) {
        return _codes[index];
    }

    /// @inheritdoc IDepartmentRegistry
    function council() external view returns (address) {
        return _council;
    }

    /// @inheritdoc IDepartmentRegistry
    function compromisedSince(address account) external view returns (uint64) {
        return _compromisedSince[account];
    }

    /// @inheritdoc IDepartmentRegistry
    function offerOf(address account, bytes32 code) external view returns (uint8 roles, address admin) {
        Offer storage o = _offers[account][code];
        return (o.roles, o.admin);
    }

    /// @notice The roles `account` holds in `code` (0 if not a member), whatever its status.
    function rolesOf(bytes32 code, address account) external view returns (uint8) {
        return _rolesIn(code, account);
    }

    // ---------------------------------------------------------------------------------------
    // Admission and status (council)
    // ---------------------------------------------------------------------------------------

    /// @inheritdoc IDepartmentRegistry
    function propose(
        bytes32 code,
        string calldata name,
        uint32 region,
        string calldata endpoint,
        bytes32 metadataHash,
        address admin
    ) external {
        if (msg.sender != admin) revert DepartmentUnauthorizedProposer(msg.sender, admin);
        _propose(code, name, region, endpoint, metadataHash, admin);
    }

    /// @inheritdoc IDepartmentRegistry
    function admit(bytes32 code) external onlyCouncil {
        _transition(code, DepartmentStatus.Proposed, DepartmentStatus.Active);
    }

    /// @inheritdoc IDepartmentRegistry
    function suspend(bytes32 code) external onlyCouncil {
        _transition(code, DepartmentStatus.Active, DepartmentStatus.Suspended);
    }

    /// @inheritdoc IDepartmentRegistry
    function reinstate(bytes32 code) external onlyCouncil {
        _transition(code, DepartmentStatus.Suspended, DepartmentStatus.Active);
    }

    /// @inheritdoc IDepartmentRegistry
    function retire(bytes32 code) external onlyCouncil {
        DepartmentStatus from = _departments[code].status;
        if (from == DepartmentStatus.None) revert DepartmentUnknown(code);
        if (from == DepartmentStatus.Retired) {
            revert DepartmentInvalidTransition(code, from, DepartmentStatus.Retired);
        }
        _retire(code, from);
    }

    /// @inheritdoc IDepartmentRegistry
    function withdrawProposal(bytes32 code) external {
        Department storage d = _departments[code];
        if (d.status == DepartmentStatus.None) revert DepartmentUnknown(code);
        if (d.status != DepartmentStatus.Proposed) {
            revert DepartmentInvalidTransition(code, d.status, DepartmentStatus.Retired);
        }
        // The applicant's right, used now: its key must still be the department's member (a key
        // the council marked compromised is not).
        if (msg.sender != d.founder || _departmentOf(msg.sender) != code) {
            revert DepartmentUnauthorizedWithdrawal(msg.sender, d.founder);
        }
        _retire(code, DepartmentStatus.Proposed);
    }

    /// @inheritdoc IDepartmentRegistry
    function replaceAdmin(bytes32 code, address oldAdmin, address newAdmin) external onlyCouncil {
        DepartmentStatus status = _departments[code].status;
        if (status == DepartmentStatus.None) revert DepartmentUnknown(code);
        // A proposal's applicant re-applies with a new key; a retired department is closed.
        if (status != DepartmentStatus.Active && status != DepartmentStatus.Suspended) {
            revert DepartmentInvalidTransition(code, status, status);
        }
        if (oldAdmin != address(0)) {
            if (_rolesIn(code, oldAdmin) & ROLE_ADMIN == 0) revert DepartmentNotMember(oldAdmin, code);
            _compromise(oldAdmin);
        }
        _addMember(code, newAdmin, ROLE_ADMIN, msg.sender);
    }

    /// @inheritdoc IDepartmentRegistry
    function removeMemberByCouncil(address account) external onlyCouncil {
        bytes32 code = _departmentOf(account);
        if (code == bytes32(0)) revert DepartmentNotMember(account, code);
        _removeMember(code, account);
    }

    /// @inheritdoc IDepartmentRegistry
    function markCompromised(address account) external onlyCouncil {
        if (account == address(0)) revert DepartmentZeroAddress();
        uint64 since = _compromisedSince[account];
        if (since != 0) revert DepartmentKeyCompromised(account, since);
        _compromise(account);
    }

    // ---------------------------------------------------------------------------------------
    // Members and department data (the department's own ADMIN)
    // ---------------------------------------------------------------------------------------

    /// @inheritdoc IDepartmentRegistry
    function addMember(address account, uint8 roles) external {
        bytes32 code = _adminDepartment();
        _checkJoinable(account, roles);
        _offers[account][code] = Offer(roles, msg.sender);
        emit MemberOffered(code, account, roles, msg.sender);
    }

    /// @inheritdoc IDepartmentRegistry
    function acceptMembership(bytes32 code) external {
        Offer memory offer = _offers[msg.sender][code];
        if (offer.roles == 0) revert DepartmentNoOffer(msg.sender, code);
        // The offer is the ADMIN's right, used now: re-checked against today's key and status.
        if (_rolesIn(code, offer.admin) & ROLE_ADMIN == 0 || _departments[code].status != DepartmentStatus.Active) {
            revert DepartmentOfferLapsed(code, offer.admin);
        }
        delete _offers[msg.sender][code];
        _addMember(code, msg.sender, offer.roles, offer.admin);
    }

    /// @inheritdoc IDepartmentRegistry
    function setMemberRoles(address account, uint8 roles) external {
        bytes32 code = _adminDepartment();
        _checkRoles(roles);
        uint8 old = _rolesIn(code, account);
        if (old == 0) revert DepartmentNotMember(account, code);
        if (old & ROLE_ADMIN != 0 && roles & ROLE_ADMIN == 0) _dropAdmin(code, account);
        if (old & ROLE_ADMIN == 0 && roles & ROLE_ADMIN != 0) ++_departments[code].adminCount;
        _members[account] = _pack(code, roles); // a member of `code` (old != 0)
        emit MemberRolesChanged(code, account, roles, msg.sender);
    }

    /// @inheritdoc IDepartmentRegistry
    function removeMember(address account) external {
        bytes32 code = _adminDepartment();
        if (_rolesIn(code, account) == 0) revert DepartmentNotMember(account, code);
        _removeMember(code, account);
    }

    /// @inheritdoc IDepartmentRegistry
    function setEndpoint(string calldata endpoint) external {
        bytes32 code = _adminDepartment();
        _checkEndpoint(endpoint);
        _departments[code].endpoint = endpoint;
        emit DepartmentEndpointChanged(code, endpoint, msg.sender);
    }

    /// @inheritdoc IDepartmentRegistry
    function setMetadataHash(bytes32 metadataHash) external {
        bytes32 code = _adminDepartment();
        _departments[code].metadataHash = metadataHash;
        emit DepartmentMetadataChanged(code, metadataHash, msg.sender);
    }

    // ---------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------

    function _adminDepartment() private view returns (bytes32 code) {
        uint8 roles;
        bool active;
        (code, roles, active) = memberOf(msg.sender);
        if (!active || roles & ROLE_ADMIN == 0) revert DepartmentUnauthorizedAdmin(msg.sender);
    }

    /// @dev A department code is 1 to 29 printable ASCII bytes other than '.', left-aligned and
    /// zero-padded. Category codes live in the namespace "<department>.<name>" (DataCatalog), so
    /// a dot inside a department code would let two namespaces overlap.
    function _wellFormedCode(bytes32 code) private pure returns (bool) {
        uint256 len = 0;
        while (len < 32 && code[len] != 0) {
            bytes1 c = code[len];
            if (c <= 0x20 || c >= 0x7f || c == ".") return false;
            ++len;
        }
        if (len == 0 || len > 29) return false;
        for (uint256 i = len; i < 32; ++i) {
            if (code[i] != 0) return false;
        }
        return true;
    }

    function _propose(
        bytes32 code,
        string memory name,
        uint32 region,
        string memory endpoint,
        bytes32 metadataHash,
        address admin
    ) private {
        if (!_wellFormedCode(code)) revert DepartmentInvalidCode(code);
        Department storage d = _departments[code];
        DepartmentStatus status = d.status;
        // A code is free while unused, or after a proposal rejected or withdrawn before it was
        // ever Active; a code that was once Active names that department for good.
        bool reused = status == DepartmentStatus.Retired && !d.everActive;
        if (status != DepartmentStatus.None && !reused) revert DepartmentAlreadyExists(code);
        if (bytes(name).length == 0 || bytes(name).length > MAX_NAME_LENGTH) {
            revert DepartmentInvalidName(bytes(name).length, MAX_NAME_LENGTH);
        }
        if (region < 100000 || region > 999999) revert DepartmentInvalidRegion(region);
        _checkEndpoint(endpoint);
        d.status = DepartmentStatus.Proposed;
        d.region = region;
        d.founder = admin;
        d.metadataHash = metadataHash;
        d.name = name;
        d.endpoint = endpoint;
        if (!reused) _codes.push(code);
        emit DepartmentProposed(code, region, name, admin, msg.sender);
        if (bytes(endpoint).length != 0) emit DepartmentEndpointChanged(code, endpoint, msg.sender);
        if (metadataHash != bytes32(0)) emit DepartmentMetadataChanged(code, metadataHash, msg.sender);
        _addMember(code, admin, ROLE_ADMIN, msg.sender);
    }

    /// @dev Retires `code`; a rejected or withdrawn proposal also releases its applicant's key
    /// (a Proposed department's only member: members join only an Active department).
    function _retire(bytes32 code, DepartmentStatus from) private {
        _setStatus(code, DepartmentStatus.Retired);
        if (from == DepartmentStatus.Proposed) {
            address founder = _departments[code].founder;
            if (_departmentOf(founder) == code) _removeMember(code, founder);
        }
    }

    /// @dev Removes `account` from its department (if any) and bars it from joining any again.
    function _compromise(address account) private {
        bytes32 code = _departmentOf(account);
        if (code != bytes32(0)) _removeMember(code, account);
        _compromisedSince[account] = uint64(block.timestamp);
        emit MemberCompromised(code, account, msg.sender);
    }

    function _transition(bytes32 code, DepartmentStatus from, DepartmentStatus to) private {
        DepartmentStatus current = _departments[code].status;
        if (current == DepartmentStatus.None) revert DepartmentUnknown(code);
        if (current != from) revert DepartmentInvalidTransition(code, current, to);
        _setStatus(code, to);
    }

    function _setStatus(bytes32 code, DepartmentStatus to) private {
        DepartmentStatus from = _departments[code].status;
        _departments[code].status = to;
        if (to == DepartmentStatus.Active) _departments[code].everActive = true;
        emit DepartmentStatusChanged(code, from, to, msg.sender);
    }

    /// @dev The one place that says which key may join a department with which roles.
    function _checkJoinable(address account, uint8 roles) private view {
        if (account == address(0)) revert DepartmentZeroAddress();
        _checkRoles(roles);
        uint64 since = _compromisedSince[account];
        if (since != 0) revert DepartmentKeyCompromised(account, since);
        bytes32 existing = _departmentOf(account);
        if (existing != bytes32(0)) revert DepartmentMemberExists(account, existing);
    }

    function _addMember(bytes32 code, address account, uint8 roles, address by) private {
        _checkJoinable(account, roles);
        _members[account] = _pack(code, roles);
        if (roles & ROLE_ADMIN != 0) ++_departments[code].adminCount;
        emit MemberAdded(code, account, roles, by);
    }

    function _removeMember(bytes32 code, address account) private {
        if (_rolesIn(code, account) & ROLE_ADMIN != 0) _dropAdmin(code, account);
        delete _members[account];
        emit MemberRemoved(code, account, msg.sender);
    }

    /// @dev Only the council (to replace it) or a retirement may leave a department without admin.
    function _dropAdmin(bytes32 code, address account) private {
        Department storage d = _departments[code];
        if (d.adminCount == 1 && msg.sender != _council && d.status != DepartmentStatus.Retired) {
            revert DepartmentLastAdmin(code, account);
        }
        --d.adminCount;
    }

    /// @dev The department `account` is a member of (zero if none).
    function _departmentOf(address account) private view returns (bytes32) {
        return bytes32(_members[account] & ~_ROLES_MASK);
    }

    /// @dev The roles `account` holds in `code` (0 if it is not a member of `code`).
    function _rolesIn(bytes32 code, address account) private view returns (uint8) {
        uint256 packed = _members[account];
        return bytes32(packed & ~_ROLES_MASK) == code ? uint8(packed) : 0;
    }

    /**
     * @dev A member word `w` is a member of `code` holding every role of `role` exactly when
     * `w & _mask(role) == _want(code, role)`: the mask keeps the department bits and the wanted
     * role bits, so the test compares the department and the roles in one AND and one EQ.
     * Exact for a well-formed `code`; both callers also require `code`'s own status to be
     * Active, which no malformed code (last byte non-zero) ever has.
     */
    function _mask(uint8 role) private pure returns (uint256) {
        return ~_ROLES_MASK | role;
    }

    function _want(bytes32 code, uint8 role) private pure returns (uint256) {
        return uint256(code) | role;
    }

    /// @dev A member word; `code` is a registered department's, so well formed (last byte zero).
    function _pack(bytes32 code, uint8 roles) private pure returns (uint256) {
        return uint256(code) | roles;
    }

    function _checkRoles(uint8 roles) private pure {
        if (roles == 0 || roles & ~ALL_ROLES != 0) revert DepartmentInvalidRoles(roles);
    }

    function _checkEndpoint(string memory endpoint) private pure {
        if (bytes(endpoint).length > MAX_ENDPOINT_LENGTH) {
            revert DepartmentEndpointTooLong(bytes(endpoint).length, MAX_ENDPOINT_LENGTH);
        }
    }
}
