// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {SignatureVerifier} from "../common/SignatureVerifier.sol";
import {ICaseApprovals} from "../interfaces/ICaseApprovals.sol";
import {IDepartmentRegistry, ROLE_APPROVER} from "../interfaces/IDepartmentRegistry.sol";

/**
 * @title DecisionVerifier
 * @notice Checks the co-signatures of a step's EIP-712 `Decision` (Safe's encoding, see
 * {ICaseApprovals}): `threshold` entries, signers strictly ascending, each an active APPROVER
 * of the step's department at submission.
 *
 * EOA entries are recovered with OpenZeppelin `ECDSA.tryRecover` (low `s` only): the signer
 * is derived from the signature, not claimed, so `SignatureChecker`'s `EXTCODESIZE` probe
 * (2,600 gas per cold signer) is not needed. Contract entries (`v` = 0) go through
 * {SignatureVerifier-_verifySignature}, i.e. OpenZeppelin `SignatureChecker` / ERC-1271.
 */
abstract contract DecisionVerifier is SignatureVerifier {
    /// @dev `keccak256("Decision(bytes32 caseId,uint8 step,bool approve,bytes32 commentHash,uint256 deadline)")`
    bytes32 internal constant _DECISION_TYPEHASH =
        keccak256("Decision(bytes32 caseId,uint8 step,bool approve,bytes32 commentHash,uint256 deadline)");

    /// @dev Length of one signature entry: `r || s || v`.
    uint256 private constant _ENTRY = 65;

    IDepartmentRegistry internal immutable _departments;

    constructor(IDepartmentRegistry departments_) {
        _departments = departments_;
    }

    /// @dev The struct hash of `Decision(caseId, step, approve, commentHash, deadline)`.
    function _decisionStructHash(bytes32 caseId, uint8 step, bool approve, bytes32 commentHash, uint256 deadline)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(_DECISION_TYPEHASH, caseId, step, approve, commentHash, deadline));
    }

    /**
     * @dev Reverts unless `d.signatures` holds `threshold` valid signatures of `d` for case
     * `caseId` by distinct active APPROVERs of `department`; returns the signers in order.
     */
    function _checkDecision(
        bytes32 caseId,
        ICaseApprovals.StepDecision calldata d,
        bytes32 department,
        uint256 threshold
    ) internal view returns (address[] memory signers) {
        if (block.timestamp > d.deadline) revert SignatureExpired(d.deadline);
        bytes calldata signatures = d.signatures;
        if (signatures.length < _ENTRY * threshold) {
            revert ICaseApprovals.ApprovalInsufficientSignatures(
                caseId, d.step, signatures.length / _ENTRY, uint8(threshold)
            );
        }
        bytes32 structHash = _decisionStructHash(caseId, d.step, d.approve, d.commentHash, d.deadline);
        bytes32 digest = _hashTypedDataV4(structHash);
        signers = new address[](threshold);
        address previous;
        for (uint256 i = 0; i < threshold; ++i) {
            bytes32 r;
            bytes32 s;
            uint8 v;
            assembly ("memory-safe") {
                let p := add(signatures.offset, mul(i, _ENTRY))
                r := calldataload(p)
                s := calldataload(add(p, 0x20))
                v := byte(0, calldataload(add(p, 0x40)))
            }
            address signer;
            if (v == 0) {
                signer = _contractSigner(d, i, threshold, r, s, structHash);
            } else {
                ECDSA.RecoverError err;
                // slither-disable-next-line unused-return (the error argument is not needed)
                (signer, err,) = ECDSA.tryRecover(digest, v, r, s);
                if (err != ECDSA.RecoverError.NoError) revert ICaseApprovals.ApprovalMalformedSignature(i);
            }
            if (signer <= previous) revert ICaseApprovals.ApprovalSignerOrder(signer, previous);
            if (!_countsAsApproverNow(signer, department)) _revertNotApprover(signer, department);
            assembly ("memory-safe") {
                mstore(add(signers, shl(5, add(i, 1))), signer)
            }
            previous = signer;
        }
    }

    /// @dev Entry `i` is an ERC-1271 signer `r` whose signature data sits at offset `s`.
    function _contractSigner(
        ICaseApprovals.StepDecision calldata d,
        uint256 i,
        uint256 entries,
        bytes32 r,
        bytes32 s,
        bytes32 structHash
    ) private view returns (address signer) {
        bytes calldata signatures = d.signatures;
        signer = address(uint160(uint256(r)));
        uint256 offset = uint256(s);
        uint256 total = signatures.length;
        if (offset < entries * _ENTRY || offset > total - 32) revert ICaseApprovals.ApprovalMalformedSignature(i);
        uint256 length = uint256(bytes32(signatures[offset:offset + 32]));
        if (length > total - offset - 32) revert ICaseApprovals.ApprovalMalformedSignature(i);
        _verifySignature(signer, structHash, d.deadline, signatures[offset + 32:offset + 32 + length]);
    }

    /**
     * @dev Invariants 2 and M-1, the one place that states whose decision counts: a signature or
     * vote of `account` counts for a step of `department` only if, at the moment it takes
     * effect (a submission, or the vote that completes the step), `account` is a current key
     * holding the APPROVER role of `department` and `department` is Active
     * ({IDepartmentRegistry-isActiveMember}, called without ABI overhead). A key is one member:
     * a rotated-out key is no longer a member, so its earlier vote stops counting.
     */
    function _countsAsApproverNow(address account, bytes32 department) internal view returns (bool ok) {
        address registry = address(_departments);
        bytes4 selector = IDepartmentRegistry.isActiveMember.selector;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, selector)
            // an address's upper bits may be dirty in assembly (e.g. cut from a packed vote): clean them
            mstore(add(ptr, 0x04), and(account, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(ptr, 0x24), department)
            mstore(add(ptr, 0x44), ROLE_APPROVER)
            // `ok` only if the call succeeded and returned `true` (the result is read after the call)
            if staticcall(gas(), registry, ptr, 0x64, 0x00, 0x20) {
                ok := and(gt(returndatasize(), 0x1f), eq(mload(0x00), 1))
            }
        }
    }

    /// @dev Reverts with the most specific reason `signer` may not decide for `department`.
    function _revertNotApprover(address signer, bytes32 department) internal view {
        IDepartmentRegistry.DepartmentStatus status = _departments.departmentStatus(department);
        if (status != IDepartmentRegistry.DepartmentStatus.Active) {
            revert ICaseApprovals.ApprovalDepartmentNotActive(department, status);
        }
        // slither-disable-next-line unused-return (only the department matters here)
        (bytes32 memberOf,,) = _departments.memberOf(signer);
        if (memberOf != bytes32(0) && memberOf != department) {
            revert ICaseApprovals.ApprovalWrongDepartment(signer, memberOf, department);
        }
        revert ICaseApprovals.ApprovalNotApprover(signer, department);
    }
}
