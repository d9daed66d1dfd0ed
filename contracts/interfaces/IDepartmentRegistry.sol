// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @dev Member roles are bits of a `uint8`; a member may hold several.
uint8 constant ROLE_STAFF = 1;
uint8 constant ROLE_APPROVER = 2;
uint8 constant ROLE_ADMIN = 4;
uint8 constant ROLE_AUDITOR = 8;

/**
 * @title IDepartmentRegistry
 * @notice Government departments, their member keys and roles, admitted and governed by the
 * platform council. Every other govchain contract checks permissions through the views below,
 * so a suspended or retired department's members lose every right at once, everywhere.
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

    /**
     * @notice Whether `account` is a member of `department`, holds every bit of `role`, and
     * `department` is Active.
     */
    function isActiveMember(address account, bytes32 department, uint8 role) external view returns (bool);

    /**
     * @notice The department `account` belongs to (zero if none), its roles there, and whether
     * that department is Active.
     */
    function memberOf(address account) external view returns (bytes32 department, uint8 roles, bool active);

    /// @notice The status of `department` (None if unknown).
    function departmentStatus(bytes32 department) external view returns (DepartmentStatus);
}
