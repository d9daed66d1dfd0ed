// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title IAttestationRegistry
 * @notice Facts departments attest about citizen identities (the citizen's credit file).
 * Only the part other govchain contracts call is listed here.
 */
interface IAttestationRegistry {
    /**
     * @notice Whether attestation `uid` exists, is not revoked and is not expired.
     */
    function isValid(bytes32 uid) external view returns (bool);

    /**
     * @notice Whether a member of `department` holding `roles` may attest under `schema`.
     */
    function canAttest(bytes32 schema, bytes32 department, uint8 roles) external view returns (bool);

    /**
     * @notice Issues an attestation on behalf of `department` as the outcome of an approved case.
     *
     * Requirements: the caller is the approval module wired at deployment; `department` is
     * Active; `schema` exists.
     */
    function attestFromApproval(
        bytes32 department,
        address subject,
        bytes32 schema,
        bytes32 dataHash,
        uint64 expiry,
        bytes32 refUID
    ) external returns (bytes32 uid);
}
