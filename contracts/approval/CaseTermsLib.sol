// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ICaseApprovals} from "../interfaces/ICaseApprovals.sol";

/**
 * @title CaseTermsLib
 * @notice Validation and hashing of a case's immutable terms (applicant, route, attestation).
 * The terms are kept off storage: a case stores their hash and callers pass them back.
 */
library CaseTermsLib {
    /// @dev The most steps a route may have (the step index is a `uint8`).
    uint256 internal constant MAX_STEPS = 16;

    /// @dev `keccak256(abi.encode(terms))`, the hash a case stores.
    function hash(ICaseApprovals.CaseTerms calldata terms) internal pure returns (bytes32) {
        return keccak256(abi.encode(terms));
    }

    /// @dev The applicant as one 32-byte key: the citizen identity left-padded, or the department code.
    function applicantKey(ICaseApprovals.CaseTerms calldata terms) internal pure returns (bytes32) {
        address citizen = terms.applicantCitizen;
        return citizen != address(0) ? bytes32(uint256(uint160(citizen))) : terms.applicantDepartment;
    }

    /**
     * @dev Reverts unless there is exactly one applicant and the route has 1 to {MAX_STEPS}
     * steps, each with a department (or rule id) and a future deadline not before the previous.
     */
    function validate(ICaseApprovals.CaseTerms calldata terms) internal view {
        if ((terms.applicantCitizen == address(0)) == (terms.applicantDepartment == bytes32(0))) {
            revert ICaseApprovals.ApprovalInvalidApplicant();
        }
        ICaseApprovals.Step[] calldata route = terms.route;
        uint256 length = route.length;
        if (length == 0 || length > MAX_STEPS) revert ICaseApprovals.ApprovalInvalidRouteLength(length);
        uint256 previousDeadline = block.timestamp + 1;
        for (uint256 i = 0; i < length; ++i) {
            ICaseApprovals.Step calldata step = route[i];
            uint256 deadline = step.deadline;
            // a zero threshold marks a RULE step, whose `department` is a rule id (see IRuleDecisions)
            if (step.department == bytes32(0) || deadline < previousDeadline) {
                revert ICaseApprovals.ApprovalInvalidStep(i);
            }
            previousDeadline = deadline;
        }
    }
}
