// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";

import {SignatureVerifier} from "../common/SignatureVerifier.sol";
import {IAttestationRegistry} from "../interfaces/IAttestationRegistry.sol";
import {IDepartmentRegistry, ALL_ROLES} from "../interfaces/IDepartmentRegistry.sol";
import {SchemaRegistry} from "./SchemaRegistry.sol";

/**
 * @title AttestationRegistry
 * @notice Attestations by department members about citizen identities. See {IAttestationRegistry}.
 *
 * Gas: one new storage slot per attestation; permissions are one call to the department
 * registry ({IDepartmentRegistry-memberOf}) and one read of the schema's packed rules.
 */
contract AttestationRegistry is IAttestationRegistry, SchemaRegistry, SignatureVerifier, Nonces {
    /// @notice `keccak256("Attest(address attester,bytes32 department,address subject,bytes32 schema,bytes32 dataHash,uint64 expiry,bytes32 refUID,uint256 nonce,uint256 deadline)")`
    bytes32 public constant ATTEST_TYPEHASH = keccak256(
        "Attest(address attester,bytes32 department,address subject,bytes32 schema,bytes32 dataHash,uint64 expiry,bytes32 refUID,uint256 nonce,uint256 deadline)"
    );

    /// @inheritdoc IAttestationRegistry
    uint256 public constant MAX_BATCH = 256;

    address private immutable _deployer;
    address private _approvalModule;

    /// @dev An {AttestationRecord} packed by hand into one word (see {_pack}), so that attest
    /// writes it with one SSTORE and revoke overwrites it with one (the tombstone).
    mapping(bytes32 uid => uint256 packed) private _records;

    /// @dev What a revoked uid's word holds: non-zero, so {_attest} never issues the uid again
    /// (review s28 D-1: a deleted record let the same uid be issued again in the same block, by
    /// another case); below every real record, whose issue time is never zero.
    uint256 private constant _REVOKED = 1;

    uint256 private constant _ISSUED_AT_SHIFT = 64;
    uint256 private constant _ROLE_MASK_SHIFT = 104;
    uint256 private constant _REVOCABLE_SHIFT = 112;
    uint256 private constant _TAG_SHIFT = 128;

    constructor(IDepartmentRegistry departmentRegistry_)
        SchemaRegistry(departmentRegistry_)
        EIP712("AttestationRegistry", "1")
    {
        _deployer = msg.sender;
    }

    // ---------------------------------------------------------------------------------------
    // Attest and revoke
    // ---------------------------------------------------------------------------------------

    /// @inheritdoc IAttestationRegistry
    function attest(address subject, bytes32 schema, bytes32 dataHash, uint64 expiry, bytes32 refUID)
        external
        returns (bytes32)
    {
        (bytes32 department, uint8 roles) = _activeMember(msg.sender);
        return _attest(msg.sender, department, roles, AttestationRequest(subject, schema, dataHash, expiry, refUID));
    }

    /// @inheritdoc IAttestationRegistry
    function multiAttest(AttestationRequest[] calldata requests) external returns (bytes32[] memory uids) {
        if (requests.length == 0) revert AttestationEmptyBatch();
        if (requests.length > MAX_BATCH) revert AttestationBatchTooLarge(requests.length, MAX_BATCH);
        (bytes32 department, uint8 roles) = _activeMember(msg.sender);
        uids = new bytes32[](requests.length);
        for (uint256 i = 0; i < requests.length; ++i) {
            uids[i] = _attest(msg.sender, department, roles, requests[i]);
        }
    }

    /// @inheritdoc IAttestationRegistry
    function attestBySig(
        address attester,
        bytes32 department,
        AttestationRequest calldata request,
        uint256 deadline,
        bytes calldata signature
    ) external returns (bytes32) {
        _verifySignature(attester, _attestStructHash(attester, department, request, deadline), deadline, signature);
        // The signature carries the authority of the department it names, and only while the
        // signer still holds a role there in an Active department (re-checked now, at use).
        (bytes32 current, uint8 roles) = _activeMember(attester);
        if (current != department) revert AttestationWrongDepartment(attester, department, current);
        return _attest(attester, department, roles, request);
    }

    /// @inheritdoc IAttestationRegistry
    function attestFromApproval(
        bytes32 department,
        address subject,
        bytes32 schema,
        bytes32 dataHash,
        uint64 expiry,
        bytes32 refUID
    ) external returns (bytes32) {
        if (msg.sender != _approvalModule || msg.sender == address(0)) {
            revert AttestationUnauthorizedApprovalModule(msg.sender);
        }
        if (_departmentRegistry.departmentStatus(department) != IDepartmentRegistry.DepartmentStatus.Active) {
            revert AttestationDepartmentInactive(department);
        }
        // The module acts with the department's full authority once its approvers have decided.
        return _attest(msg.sender, department, ALL_ROLES, AttestationRequest(subject, schema, dataHash, expiry, refUID));
    }

    /// @inheritdoc IAttestationRegistry
    function revoke(bytes32 uid) external {
        uint256 packed = _records[uid];
        if (packed <= _REVOKED) revert AttestationNotFound(uid);
        // slither-disable-next-line incorrect-equality (packed storage fields, not balances or time equality)
        if ((packed >> _REVOCABLE_SHIFT) & 1 == 0) revert AttestationIrrevocable(uid);
        (bytes32 department, uint8 roles) = _activeMember(msg.sender);
        if (
            // slither-disable-next-line incorrect-equality (packed storage fields, not balances or time equality)
            bytes16(uint128(packed >> _TAG_SHIFT)) != _departmentTag(department)
                || roles & uint8(packed >> _ROLE_MASK_SHIFT) == 0
        ) {
            revert AttestationUnauthorizedRevoker(uid, msg.sender);
        }
        _records[uid] = _REVOKED;
        emit Revoked(uid, department, msg.sender);
    }

    /// @inheritdoc IAttestationRegistry
    function councilRevoke(bytes32 department, bytes32[] calldata uids) external {
        if (msg.sender != _departmentRegistry.council()) revert AttestationUnauthorizedCouncil(msg.sender);
        if (uids.length == 0) revert AttestationEmptyBatch();
        if (uids.length > MAX_BATCH) revert AttestationBatchTooLarge(uids.length, MAX_BATCH);
        IDepartmentRegistry.DepartmentStatus status = _departmentRegistry.departmentStatus(department);
        if (status != IDepartmentRegistry.DepartmentStatus.Suspended && status != IDepartmentRegistry.DepartmentStatus.Retired) {
            revert AttestationDepartmentNotHalted(department, status);
        }
        bytes16 tag = _departmentTag(department);
        for (uint256 i = 0; i < uids.length; ++i) {
            bytes32 uid = uids[i];
            uint256 packed = _records[uid];
            if (packed <= _REVOKED) revert AttestationNotFound(uid);
            if (bytes16(uint128(packed >> _TAG_SHIFT)) != tag) revert AttestationNotIssuedBy(uid, department);
            _records[uid] = _REVOKED;
            emit Revoked(uid, department, msg.sender);
        }
    }

    /// @inheritdoc IAttestationRegistry
    function setApprovalModule(address module) external {
        if (msg.sender != _deployer) revert AttestationUnauthorizedDeployer(msg.sender);
        if (_approvalModule != address(0)) revert AttestationApprovalModuleAlreadySet(_approvalModule);
        if (module == address(0)) revert AttestationZeroAddress();
        _approvalModule = module;
        emit ApprovalModuleSet(module, msg.sender);
    }

    // ---------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------

    /// @inheritdoc IAttestationRegistry
    function isValid(bytes32 uid) public view returns (bool) {
        uint256 packed = _records[uid];
        uint64 expiry = uint64(packed);
        // slither-disable-next-line incorrect-equality (expiry == 0 means never expires; the time test is <)
        return packed > _REVOKED && (expiry == 0 || block.timestamp < expiry);
    }

    /// @inheritdoc IAttestationRegistry
    function canAttest(bytes32 schema, bytes32 department, uint8 roles) external view returns (bool) {
        return _allows(_rules[schema], _departmentTag(department), roles);
    }

    /// @inheritdoc IAttestationRegistry
    function getAttestation(bytes32 uid) external view returns (AttestationRecord memory) {
        uint256 packed = _records[uid];
        // slither-disable-next-line incorrect-equality (a stored word against the tombstone constant)
        if (packed == _REVOKED) packed = 0; // a revoked attestation reads as absent
        // slither-disable-next-line incorrect-equality (packed storage fields, not balances or time equality)
        return AttestationRecord(
            uint64(packed),
            uint40(packed >> _ISSUED_AT_SHIFT),
            uint8(packed >> _ROLE_MASK_SHIFT),
            (packed >> _REVOCABLE_SHIFT) & 1 == 1,
            bytes16(uint128(packed >> _TAG_SHIFT))
        );
    }

    /// @inheritdoc IAttestationRegistry
    function approvalModule() external view returns (address) {
        return _approvalModule;
    }

    /// @inheritdoc IAttestationRegistry
    function nonces(address attester) public view override(IAttestationRegistry, Nonces) returns (uint256) {
        return super.nonces(attester);
    }

    // ---------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------

    /**
     * @dev {IDepartmentRegistry-memberOf} through a bare `staticcall` in free memory: the
     * registry is fixed at deployment and returns three words, so Solidity's generic return
     * decoding (and its memory allocation) is not needed on this hot path.
     */
    function _activeMember(address account) private view returns (bytes32 department, uint8 roles) {
        address registry = address(_departmentRegistry);
        bytes4 selector = IDepartmentRegistry.memberOf.selector;
        bool ok;
        uint256 active;
        assembly ("memory-safe") {
            let ptr := mload(0x40) // free memory, used without allocating it
            mstore(ptr, selector)
            mstore(add(ptr, 0x04), account)
            ok := staticcall(gas(), registry, ptr, 0x24, ptr, 0x60)
            ok := and(ok, eq(returndatasize(), 0x60)) // checked after the call
            department := mload(ptr)
            roles := and(mload(add(ptr, 0x20)), 0xff)
            active := mload(add(ptr, 0x40))
        }
        if (!ok || active == 0) revert AttestationUnauthorized(account);
    }

    /// @dev The EIP-712 struct hash of an {attestBySig} message; consumes `attester`'s nonce.
    function _attestStructHash(
        address attester,
        bytes32 department,
        AttestationRequest calldata request,
        uint256 deadline
    ) private returns (bytes32) {
        return keccak256(
            abi.encode(
                ATTEST_TYPEHASH,
                attester,
                department,
                request.subject,
                request.schema,
                request.dataHash,
                request.expiry,
                request.refUID,
                _useNonce(attester),
                deadline
            )
        );
    }

    function _allows(SchemaRules memory rules, bytes16 tag, uint8 roles) private pure returns (bool) {
        return roles & rules.roleMask != 0 && (rules.departmentTag == bytes16(0) || rules.departmentTag == tag);
    }

    function _attest(
        address attester,
        bytes32 department,
        uint8 roles,
        AttestationRequest memory r
    ) private returns (bytes32 uid) {
        SchemaRules memory rules = _rules[r.schema];
        if (rules.roleMask == 0) revert SchemaNotFound(r.schema);
        bytes16 tag = _departmentTag(department);
        if (!_allows(rules, tag, roles)) revert AttestationSchemaNotAllowed(r.schema, department, roles);
        if (r.subject == address(0)) revert AttestationInvalidSubject();
        uint64 expiry = r.expiry;
        if (expiry != 0 && expiry <= block.timestamp) revert AttestationInvalidExpiry(expiry);
        if (r.refUID != bytes32(0) && !isValid(r.refUID)) revert AttestationRefNotFound(r.refUID);
        uid = keccak256(
            abi.encode(r.schema, r.subject, attester, department, r.dataHash, expiry, r.refUID, block.timestamp)
        );
        // a live, expired or revoked (tombstoned) uid: each uid is issued once
        if (_records[uid] != 0) revert AttestationAlreadyExists(uid);
        _records[uid] = _pack(expiry, rules, tag);
        emit Attested(r.subject, department, uid, r.schema, attester, r.dataHash, expiry, r.refUID);
    }

    /// @dev expiry (bits 0-63) | issuedAt (64-103) | roleMask (104-111) | revocable (112) |
    /// departmentTag (128-255). issuedAt is never zero, so a stored record is never zero.
    function _pack(uint64 expiry, SchemaRules memory rules, bytes16 tag) private view returns (uint256) {
        return uint256(expiry) | (uint256(uint40(block.timestamp)) << _ISSUED_AT_SHIFT)
            | (uint256(rules.roleMask) << _ROLE_MASK_SHIFT) | (rules.revocable ? 1 << _REVOCABLE_SHIFT : 0)
            | (uint256(uint128(tag)) << _TAG_SHIFT);
    }
}
