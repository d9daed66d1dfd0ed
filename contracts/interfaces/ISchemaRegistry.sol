// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title ISchemaRegistry
 * @notice Attestation schemas (EAS `SchemaRegistry` style): what an attestation's data hash
 * commits to (`fieldsHash`, the hash of the off-chain field list), which department roles may
 * attest under it, optionally which single department, and whether it may be revoked.
 * A schema's uid is derived from its content, so the same rules are registered once.
 */
interface ISchemaRegistry {
    /// @notice A registered schema.
    struct Schema {
        bytes32 uid;
        bytes32 fieldsHash;
        bytes32 department;
        uint8 roleMask;
        bool revocable;
        address registrant;
    }

    /// @notice The caller is not an ADMIN of an Active department.
    error SchemaUnauthorizedRegistrant(address account);
    /// @notice The role mask is empty or has bits that are no role.
    error SchemaInvalidRoleMask(uint8 roleMask);
    /// @notice The department named as the only attester is unknown to the department registry.
    error SchemaUnknownDepartment(bytes32 department);
    /// @notice A schema with the same content is registered already.
    error SchemaAlreadyRegistered(bytes32 uid);
    /// @notice No schema has this uid.
    error SchemaNotFound(bytes32 uid);

    /// @notice Schema `uid` was registered by `registrant`.
    event SchemaRegistered(
        bytes32 indexed uid,
        bytes32 indexed department,
        address indexed registrant,
        bytes32 fieldsHash,
        uint8 roleMask,
        bool revocable
    );

    /**
     * @notice Registers a schema and returns its uid,
     * `keccak256(abi.encode(fieldsHash, roleMask, department, revocable))`.
     * @param fieldsHash hash of the schema's field list (kept off chain)
     * @param roleMask roles (bits of ROLE_*) any one of which lets a member attest under it
     * @param department the only department allowed to attest, or zero for any department
     * @param revocable whether the issuing department may revoke attestations of this schema
     * @return uid the schema's uid
     *
     * Requirements: the caller is an ADMIN of an Active department; `roleMask` is a non-empty
     * combination of roles; `department`, if not zero, is known; the schema is new.
     *
     * Emits {SchemaRegistered}.
     */
    function registerSchema(bytes32 fieldsHash, uint8 roleMask, bytes32 department, bool revocable)
        external
        returns (bytes32 uid);

    /// @notice Schema `uid`. Reverts with {SchemaNotFound} if there is none.
    function getSchema(bytes32 uid) external view returns (Schema memory);
}
