// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title IndexerEventSource
 * @notice TEST ONLY, never deployed outside tests and benchmarks. Emits events shaped like the
 * sharing, approval and attestation contracts' (same names and argument lists) on demand, so the
 * indexer's queries and its 100,000-event benchmark run against a real chain without those
 * contracts' rules. It checks nothing and stores nothing.
 */
contract IndexerEventSource {
    struct Step {
        bytes32 department;
        uint8 threshold;
        uint40 deadline;
    }

    struct CaseTerms {
        bytes32 documentsHash;
        bytes32 acceptingDepartment;
        address applicantCitizen;
        bytes32 applicantDepartment;
        bytes32 schema;
        uint64 attestationExpiry;
        bytes32 attestationRefUID;
        bytes32 previousCase;
        Step[] route;
    }

    event AccessRecorded(
        address indexed subject,
        bytes32 indexed owner,
        bytes32 indexed grantee,
        bytes32 category,
        bytes32 purposeHash,
        address member,
        bytes32 requestHash,
        bytes32 grantId
    );
    event GrantCreated(
        bytes32 indexed grantId,
        address indexed subject,
        bytes32 indexed grantee,
        bytes32 owner,
        bytes32[] categories,
        bytes32 purposeHash,
        uint8 basis,
        uint40 validFrom,
        uint40 validUntil,
        uint32 maxUses,
        uint256 nonce,
        address grantor
    );
    event GrantRevoked(bytes32 indexed grantId, address indexed revokedBy);
    event CaseOpened(
        bytes32 indexed caseId, bytes32 indexed acceptingDepartment, bytes32 indexed applicant, address opener, CaseTerms terms
    );
    event CaseApproved(bytes32 indexed caseId, bytes32 indexed acceptingDepartment, bytes32 attestationUid);
    event CaseRejected(bytes32 indexed caseId, uint8 indexed step, bytes32 indexed department, bytes32 reasonHash);
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
    event Revoked(bytes32 indexed uid, bytes32 indexed department, address indexed revoker);
    event RecordAnchored(
        bytes32 indexed category, bytes32 indexed recordId, bytes32 indexed owner, uint32 version, bytes32 contentHash, address publisher
    );
    event Noted(string indexed topic, string text);

    /// @notice Emits `count` access records about `subject`, numbered by `requestHash`.
    function recordAccesses(uint256 count, address subject, bytes32 owner, bytes32 grantee, bytes32 grantId) external {
        for (uint256 i = 0; i < count; ++i) {
            emit AccessRecorded(subject, owner, grantee, "category", "purpose", msg.sender, bytes32(i), grantId);
        }
    }

    function createGrant(bytes32 grantId, address subject, bytes32 grantee, bytes32 owner, bytes32[] calldata categories)
        external
    {
        emit GrantCreated(grantId, subject, grantee, owner, categories, "purpose", 0, 0, type(uint40).max, 0, 0, msg.sender);
    }

    function revokeGrant(bytes32 grantId) external {
        emit GrantRevoked(grantId, msg.sender);
    }

    function openCase(bytes32 caseId, CaseTerms calldata terms) external {
        bytes32 applicant = terms.applicantCitizen == address(0)
            ? terms.applicantDepartment
            : bytes32(uint256(uint160(terms.applicantCitizen)));
        emit CaseOpened(caseId, terms.acceptingDepartment, applicant, msg.sender, terms);
    }

    function approveCase(bytes32 caseId, bytes32 acceptingDepartment, bytes32 attestationUid) external {
        emit CaseApproved(caseId, acceptingDepartment, attestationUid);
    }

    function rejectCase(bytes32 caseId, uint8 step, bytes32 department) external {
        emit CaseRejected(caseId, step, department, "reason");
    }

    function attest(address subject, bytes32 department, bytes32 uid, uint64 expiry) external {
        emit Attested(subject, department, uid, "schema", msg.sender, "data", expiry, bytes32(0));
    }

    function revoke(bytes32 uid, bytes32 department) external {
        emit Revoked(uid, department, msg.sender);
    }

    function anchor(bytes32 category, bytes32 recordId, bytes32 owner, uint32 version) external {
        emit RecordAnchored(category, recordId, owner, version, "content", msg.sender);
    }

    function note(string calldata topic, string calldata text) external {
        emit Noted(topic, text);
    }
}
