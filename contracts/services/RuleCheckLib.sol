// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAttestationRegistry} from "../interfaces/IAttestationRegistry.sol";
import {IDepartmentRegistry} from "../interfaces/IDepartmentRegistry.sol";
import {IRuleRegistry} from "../interfaces/IRuleRegistry.sol";

/**
 * @title RuleCheckLib
 * @notice The one place that states when a rule decides: each requirement of the rule's
 * current version is met by one attestation about the subject, of the required schema, issued
 * by a department the requirement names that is Active now, by a key the council never marked
 * compromised, unrevoked, unexpired and no older than the requirement's maximum age; and the
 * rule's own department is Active now. Internal,
 * so {CaseApprovals} runs it without re-encoding the evidence.
 */
library RuleCheckLib {
    /**
     * @dev Reverts with the reason unless `evidence` satisfies `rule` (the stored state of
     * `ruleId`) with `requirements` for `subject` at this block; returns the uids used.
     */
    function check(
        IRuleRegistry.RuleView memory rule,
        bytes32 ruleId,
        address subject,
        IRuleRegistry.Requirement[] calldata requirements,
        IRuleRegistry.Evidence[] calldata evidence,
        IAttestationRegistry attestations,
        IDepartmentRegistry departments
    ) internal view returns (bytes32[] memory uids) {
        if (!rule.active) revert IRuleRegistry.RuleNotInForce(ruleId);
        if (keccak256(abi.encode(requirements)) != rule.requirementsHash) {
            revert IRuleRegistry.RuleRequirementsMismatch(ruleId);
        }
        IDepartmentRegistry.DepartmentStatus status = departments.departmentStatus(rule.department);
        if (status != IDepartmentRegistry.DepartmentStatus.Active) {
            revert IRuleRegistry.RuleDepartmentNotActive(rule.department, status);
        }
        uint256 count = requirements.length;
        if (evidence.length != count) revert IRuleRegistry.RuleEvidenceCount(evidence.length, count);
        uids = new bytes32[](count);
        for (uint256 i = 0; i < count; ++i) {
            uids[i] = _meets(requirements[i], evidence[i], subject, attestations, departments);
        }
    }

    /// @dev The uid of `e`, reverting unless it meets `r` for `subject` now.
    function _meets(
        IRuleRegistry.Requirement calldata r,
        IRuleRegistry.Evidence calldata e,
        address subject,
        IAttestationRegistry attestations,
        IDepartmentRegistry departments
    ) private view returns (bytes32 uid) {
        uid = keccak256(abi.encode(e));
        if (e.subject != subject) revert IRuleRegistry.RuleWrongSubject(uid, e.subject);
        if (e.schema != r.schema) revert IRuleRegistry.RuleWrongSchema(uid, e.schema, r.schema);
        bytes32 issuer = e.department;
        bytes32[] calldata named = r.departments;
        uint256 j = 0;
        while (j < named.length && named[j] != issuer) ++j;
        if (j == named.length) revert IRuleRegistry.RuleIssuerNotNamed(uid, issuer);
        (IDepartmentRegistry.DepartmentStatus status, uint64 compromised) =
            departments.issuerStanding(issuer, e.attester);
        if (status != IDepartmentRegistry.DepartmentStatus.Active) {
            revert IRuleRegistry.RuleIssuerNotActive(uid, issuer, status);
        }
        if (compromised != 0) revert IRuleRegistry.RuleAttesterCompromised(uid, e.attester, compromised);
        uint64 expiry = e.expiry;
        if (expiry != 0 && expiry <= block.timestamp) revert IRuleRegistry.RuleAttestationExpired(uid, expiry);
        if (!attestations.isValid(uid)) revert IRuleRegistry.RuleAttestationNotFound(uid);
        if (block.timestamp > uint256(e.issuedAt) + r.maxAge) {
            revert IRuleRegistry.RuleAttestationTooOld(uid, e.issuedAt, r.maxAge);
        }
    }
}
