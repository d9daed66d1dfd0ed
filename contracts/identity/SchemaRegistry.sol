// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ISchemaRegistry} from "../interfaces/ISchemaRegistry.sol";
import {IDepartmentRegistry, ROLE_ADMIN, ALL_ROLES} from "../interfaces/IDepartmentRegistry.sol";

/**
 * @title SchemaRegistry
 * @notice Attestation schemas. See {ISchemaRegistry}.
 *
 * Abstract: {AttestationRegistry} inherits it, so an attestation reads its schema's rules from
 * its own storage (one warm-able slot) instead of calling another contract: the external call
 * would cost ~5,000 gas per attestation, more than the 65,000 gas target leaves.
 */
abstract contract SchemaRegistry is ISchemaRegistry {
    /// @dev The rules an attestation checks, packed into one slot.
    struct SchemaRules {
        bytes16 departmentTag; // {_departmentTag} of the only department allowed, or zero
        uint8 roleMask; // non-zero for a registered schema
        bool revocable;
    }

    /// @dev The rest of a schema, for readers.
    struct SchemaInfo {
        bytes32 fieldsHash;
        bytes32 department;
        address registrant;
    }

    IDepartmentRegistry internal immutable _departmentRegistry;

    mapping(bytes32 uid => SchemaRules) internal _rules;
    mapping(bytes32 uid => SchemaInfo) private _info;

    constructor(IDepartmentRegistry departmentRegistry_) {
        _departmentRegistry = departmentRegistry_;
    }

    /// @inheritdoc ISchemaRegistry
    function registerSchema(bytes32 fieldsHash, uint8 roleMask, bytes32 department, bool revocable)
        external
        returns (bytes32 uid)
    {
        // slither-disable-next-line unused-return (the department is not needed: any active admin may register)
        (, uint8 roles, bool active) = _departmentRegistry.memberOf(msg.sender);
        if (!active || roles & ROLE_ADMIN == 0) revert SchemaUnauthorizedRegistrant(msg.sender);
        if (roleMask == 0 || roleMask & ~ALL_ROLES != 0) revert SchemaInvalidRoleMask(roleMask);
        bytes16 tag = bytes16(0); // no department: any department may attest
        if (department != bytes32(0)) {
            if (_departmentRegistry.departmentStatus(department) == IDepartmentRegistry.DepartmentStatus.None) {
                revert SchemaUnknownDepartment(department);
            }
            tag = _departmentTag(department);
        }
        uid = keccak256(abi.encode(fieldsHash, roleMask, department, revocable));
        if (_rules[uid].roleMask != 0) revert SchemaAlreadyRegistered(uid);
        _rules[uid] = SchemaRules(tag, roleMask, revocable);
        _info[uid] = SchemaInfo(fieldsHash, department, msg.sender);
        emit SchemaRegistered(uid, department, msg.sender, fieldsHash, roleMask, revocable);
    }

    /// @inheritdoc ISchemaRegistry
    function getSchema(bytes32 uid) external view returns (Schema memory) {
        SchemaRules memory rules = _rules[uid];
        if (rules.roleMask == 0) revert SchemaNotFound(uid);
        SchemaInfo memory info = _info[uid];
        return Schema(uid, info.fieldsHash, info.department, rules.roleMask, rules.revocable, info.registrant);
    }

    /**
     * @dev A department code shortened to 128 bits so that it packs with other fields into one
     * slot. Finding a second code with the same tag takes ~2^128 hashes.
     */
    function _departmentTag(bytes32 department) internal pure returns (bytes16 tag) {
        // bytes16(keccak256(abi.encode(department))), hashed in scratch space
        assembly ("memory-safe") {
            mstore(0x00, department)
            tag := and(keccak256(0x00, 0x20), not(0xffffffffffffffffffffffffffffffff))
        }
    }
}
