// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IDepartmentRegistry} from "./IDepartmentRegistry.sol";

/**
 * @title IAttestationRegistry
 * @notice Facts departments attest about citizen identities (the citizen's credit file, 信用档案).
 *
 * An attestation's uid commits to everything it says:
 * `keccak256(abi.encode(schema, subject, attester, department, dataHash, expiry, refUID, issuedAt))`
 * where `issuedAt` is the block timestamp. Storage keeps only what a check needs (one slot:
 * expiry, issue time, the schema's roles and revocability, the issuing department's tag); the
 * rest is in the {Attested} event. `dataHash` is a salted commitment (`keccak256(salt || data)`),
 * never personal data or its plain hash: real-name verification is an attestation by Public
 * Security whose data hash commits to the verified record with a secret salt.
 *
 * Revocation is final: it replaces the stored record with a tombstone (history is in the
 * {Attested} and {Revoked} events), so a revoked attestation reads as absent, {isValid} is
 * false, and its uid is never issued again, not even in the same block by the same contents:
 * each uid has exactly one issuing transaction (and so at most one issuing case).
 */
interface IAttestationRegistry {
    /// @notice One attestation to make, in {multiAttest}.
    struct AttestationRequest {
        address subject;
        bytes32 schema;
        bytes32 dataHash;
        uint64 expiry;
        bytes32 refUID;
    }

    /// @notice What is stored of an attestation.
    struct AttestationRecord {
        uint64 expiry; // zero: never expires
        uint40 issuedAt; // zero: no such attestation (or revoked)
        uint8 roleMask; // roles that may revoke it, in the issuing department
        bool revocable;
        bytes16 departmentTag; // the issuing department, shortened (see SchemaRegistry)
    }

    /// @notice The caller (or signer) is not a member of an Active department.
    error AttestationUnauthorized(address account);
    /// @notice A member of `department` holding `roles` may not attest under `schema`.
    error AttestationSchemaNotAllowed(bytes32 schema, bytes32 department, uint8 roles);
    /// @notice The subject must not be the zero address.
    error AttestationInvalidSubject();
    /// @notice The expiry is in the past (zero means never).
    error AttestationInvalidExpiry(uint64 expiry);
    /// @notice The referenced attestation does not exist (or was revoked).
    error AttestationRefNotFound(bytes32 refUID);
    /// @notice An identical attestation was made in this block already (it is live, expired or
    /// revoked): a uid is issued once, a revoked one is never issued again.
    error AttestationAlreadyExists(bytes32 uid);
    /// @notice No attestation has this uid (or it was revoked already).
    error AttestationNotFound(bytes32 uid);
    /// @notice The attestation's schema does not allow revocation.
    error AttestationIrrevocable(bytes32 uid);
    /// @notice `account` is not a member of the issuing department holding the schema's role.
    error AttestationUnauthorizedRevoker(bytes32 uid, address account);
    /// @notice The caller is not the approval module.
    error AttestationUnauthorizedApprovalModule(address caller);
    /// @notice Only the deployer may set the approval module.
    error AttestationUnauthorizedDeployer(address caller);
    /// @notice The approval module is set already and can never change.
    error AttestationApprovalModuleAlreadySet(address module);
    /// @notice The approval module must not be the zero address.
    error AttestationZeroAddress();
    /// @notice The department is not Active.
    error AttestationDepartmentInactive(bytes32 department);
    /// @notice `attester` signed for `department` but is a member of `current` (zero: of none);
    /// a signature carries the authority of the department it names, never another's.
    error AttestationWrongDepartment(address attester, bytes32 department, bytes32 current);
    /// @notice Only the council (the department registry's council) may do this.
    error AttestationUnauthorizedCouncil(address caller);
    /// @notice The council revokes only the attestations of a Suspended or Retired department;
    /// `department` is `status` (an Active department revokes its own).
    error AttestationDepartmentNotHalted(bytes32 department, IDepartmentRegistry.DepartmentStatus status);
    /// @notice Attestation `uid` was not issued by `department`.
    error AttestationNotIssuedBy(bytes32 uid, bytes32 department);
    /// @notice A batch must not be empty.
    error AttestationEmptyBatch();
    /// @notice A batch of `count` requests is over {MAX_BATCH}: it could exceed the
    /// 16,777,216 gas one transaction may use (EIP-7825); split it.
    error AttestationBatchTooLarge(uint256 count, uint256 max);

    /**
     * @notice `attester`, a member of `department` (or the approval module on its behalf), attested
     * `dataHash` about `subject` under `schema`. Indexed by subject (a citizen's credit file) and
     * department (what a department issued); like EAS, the uid is data, not a topic: a fourth
     * topic would cost every attestation 119 gas more than the data word.
     */
    event Attested(
        address indexed subject,
        bytes32 indexed department,
        bytes32 uid,
        bytes32 schema,
        address attester,
        bytes32 dataHash,
        uint64 expiry,
        bytes32 refUID
    );

    /// @notice `revoker`, a member of the issuing `department` (or the council, see
    /// {councilRevoke}), revoked attestation `uid`.
    event Revoked(bytes32 indexed uid, bytes32 indexed department, address indexed revoker);

    /// @notice The approval module was set, for good, by the deployer.
    event ApprovalModuleSet(address indexed module, address indexed by);

    /**
     * @notice Attests a fact about `subject` for the caller's department.
     * @param subject the citizen identity (an address; see CitizenRegistry)
     * @param schema a registered schema the caller's department and roles may attest under
     * @param dataHash salted commitment to the attested data
     * @param expiry when it stops being valid (unix time), zero for never
     * @param refUID an attestation this one refers to, or zero
     * @return uid the attestation's uid
     *
     * Requirements: the caller is a member of an Active department with a role of the schema's
     * mask (and of the schema's department, if it names one); `subject` not zero; `expiry` zero
     * or in the future; `refUID` zero or a valid attestation.
     *
     * Emits {Attested}.
     */
    function attest(address subject, bytes32 schema, bytes32 dataHash, uint64 expiry, bytes32 refUID)
        external
        returns (bytes32 uid);

    /**
     * @notice Makes several attestations for the caller's department; same rules as {attest}.
     * Requirements: 1 to {MAX_BATCH} requests. Emits one {Attested} per request.
     */
    function multiAttest(AttestationRequest[] calldata requests) external returns (bytes32[] memory uids);

    /// @notice The most requests one {multiAttest} takes (each costs at most about 45,000 gas).
    function MAX_BATCH() external view returns (uint256);

    /**
     * @notice Makes an attestation `attester` signed for `department` (EIP-712 `Attest(address
     * attester,bytes32 department,address subject,bytes32 schema,bytes32 dataHash,uint64 expiry,
     * bytes32 refUID,uint256 nonce,uint256 deadline)`), relayed by anyone.
     * The signature consumes `attester`'s current nonce; `deadline` bounds its use. It carries the
     * authority of the department it names, checked when it is relayed: a key moved to another
     * department, or a department that is no longer Active, makes it worthless.
     *
     * Requirements: as {attest} for `attester`; `attester` is a member of `department` now;
     * `block.timestamp <= deadline`; a valid signature.
     *
     * Emits {Attested} with `attester` as attester.
     */
    function attestBySig(
        address attester,
        bytes32 department,
        AttestationRequest calldata request,
        uint256 deadline,
        bytes calldata signature
    ) external returns (bytes32 uid);

    /**
     * @notice Revokes attestation `uid`; its record is deleted.
     *
     * Requirements: `uid` exists; its schema is revocable; the caller is a member of the issuing
     * department, which is Active, holding one of the schema's roles.
     *
     * Emits {Revoked}.
     */
    function revoke(bytes32 uid) external;

    /**
     * @notice Council: revokes attestations `uids` of `department` while it is Suspended or
     * Retired, when its own members cannot: the clean-up after a compromised key (the council
     * picks the uids the key issued from the {Attested} events, e.g. every one since the
     * compromise). Nothing is voided by a suspension alone: a department suspended for an
     * unrelated reason keeps every citizen's attestations valid. The schema's revocability does
     * not apply (it binds the issuing department's everyday revocation, not the remedy for a
     * forged attestation). All or nothing.
     *
     * Requirements: the caller is the department registry's council; 1 to {MAX_BATCH} uids;
     * `department` is Suspended or Retired; each uid exists and was issued by `department`.
     *
     * Emits {Revoked} per uid, with the council as revoker.
     */
    function councilRevoke(bytes32 department, bytes32[] calldata uids) external;

    /**
     * @notice Sets the approval module allowed to call {attestFromApproval}. Once only.
     *
     * Requirements: the caller is the deployer; no module set yet; `module` not zero.
     *
     * Emits {ApprovalModuleSet}.
     */
    function setApprovalModule(address module) external;

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

    /// @notice The stored record of `uid` (all zero if none or revoked).
    function getAttestation(bytes32 uid) external view returns (AttestationRecord memory);

    /// @notice The approval module, or zero while unset.
    function approvalModule() external view returns (address);

    /// @notice The nonce `attester`'s next {attestBySig} signature must carry.
    function nonces(address attester) external view returns (uint256);
}
