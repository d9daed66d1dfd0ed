// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import {SignatureVerifier} from "../common/SignatureVerifier.sol";
import {ICaseApprovals} from "../interfaces/ICaseApprovals.sol";
import {IDepartmentRegistry, ROLE_APPROVER} from "../interfaces/IDepartmentRegistry.sol";

/**
 * @title DecisionVerifier
 * @notice Checks the co-signatures of a step's EIP-712 `Decision` (see {ICaseApprovals}):
 * `threshold` entries, each naming the signer it is for, signers strictly ascending, each an
 * active APPROVER of the step's Active department at submission (one
 * {IDepartmentRegistry-activeMembersPrefix} call for all of a decision's signers).
 *
 * R2-5: the `Decision` names its signer, so each entry's signature is checked over a digest
 * that names the signer the entry claims. One approver's signature is then a signature of a
 * message naming that approver only: an ERC-1271 wallet that accepts its owner's signatures
 * cannot reuse it (the owner would have to sign a `Decision` naming the wallet).
 *
 * An EOA entry (`v` = 27 or 28) is checked as OpenZeppelin `SignatureChecker` checks an EOA:
 * `ECDSA.tryRecover` (low `s` only) must recover the named signer. The entry says it is an EOA
 * signature, so `SignatureChecker`'s `EXTCODESIZE` probe (2,600 gas per cold signer) is not
 * needed: an ECDSA signature cannot recover to a contract's address. A contract entry (`v` = 0)
 * goes through `SignatureChecker.isValidSignatureNowCalldata` (ERC-1271 for a wallet).
 */
abstract contract DecisionVerifier is SignatureVerifier {
    /// @dev `keccak256("Decision(bytes32 caseId,uint8 step,bool approve,bytes32 commentHash,address signer,uint256 deadline)")`
    bytes32 internal constant _DECISION_TYPEHASH = keccak256(
        "Decision(bytes32 caseId,uint8 step,bool approve,bytes32 commentHash,address signer,uint256 deadline)"
    );

    /// @dev Length of one signature entry: `signer (20 bytes) || r || s || v`.
    uint256 private constant _ENTRY = 85;

    IDepartmentRegistry internal immutable _departments;

    constructor(IDepartmentRegistry departments_) {
        _departments = departments_;
    }

    /// @dev The struct hash of `Decision(caseId, step, approve, commentHash, signer, deadline)`.
    function _decisionStructHash(
        bytes32 caseId,
        uint8 step,
        bool approve,
        bytes32 commentHash,
        address signer,
        uint256 deadline
    ) internal pure returns (bytes32) {
        return keccak256(abi.encode(_DECISION_TYPEHASH, caseId, step, approve, commentHash, signer, deadline));
    }

    /**
     * @dev Reverts unless `d.signatures` holds `threshold` entries for case `caseId`, each a valid
     * signature, by the signer the entry names, of `d` naming that signer, the signers
     * strictly ascending and each an active APPROVER of `department`; returns the signers.
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
        // the struct's words, encoded once; each entry's signer is written into word 5
        bytes memory message = abi.encode(
            _DECISION_TYPEHASH, caseId, d.step, d.approve, d.commentHash, address(0), d.deadline
        );
        bytes32 domainSeparator = _domainSeparatorV4();
        signers = new address[](threshold);
        address previous;
        for (uint256 i = 0; i < threshold; ++i) {
            address signer = _entrySigner(signatures, i, threshold, message, domainSeparator);
            if (signer <= previous) revert ICaseApprovals.ApprovalSignerOrder(signer, previous);
            assembly ("memory-safe") {
                mstore(add(signers, shl(5, add(i, 1))), signer)
            }
            previous = signer;
        }
        // M-1, for all signers at once: each an active APPROVER of `department`, Active now
        // (the same rule as {_countsAsApproverNow}, one registry call per decision)
        uint256 counted = _departments.activeMembersPrefix(department, ROLE_APPROVER, signers);
        if (counted < threshold) _revertNotApprover(signers[counted], department);
    }

    /**
     * @dev The signer entry `i` (of `entries`) of `signatures` names, once its signature is
     * checked over the digest of `message` (the encoded `Decision`) with that signer written in.
     */
    function _entrySigner(
        bytes calldata signatures,
        uint256 i,
        uint256 entries,
        bytes memory message,
        bytes32 domainSeparator
    ) private view returns (address signer) {
        bytes32 r;
        bytes32 s;
        uint8 v;
        bytes32 digest;
        assembly ("memory-safe") {
            let p := add(signatures.offset, mul(i, _ENTRY))
            signer := shr(96, calldataload(p))
            r := calldataload(add(p, 0x14))
            s := calldataload(add(p, 0x34))
            v := byte(0, calldataload(add(p, 0x54)))
            // digest = keccak256("\x19\x01" || domainSeparator || keccak256(message naming signer))
            mstore(add(message, 0xc0), signer)
            let ptr := mload(0x40)
            mstore(ptr, hex"1901")
            mstore(add(ptr, 0x02), domainSeparator)
            mstore(add(ptr, 0x22), keccak256(add(message, 0x20), 0xe0))
            digest := keccak256(ptr, 0x42)
        }
        if (v == 0) {
            _checkContractSignature(signatures, i, entries, signer, uint256(r), digest);
        } else {
            // slither-disable-next-line unused-return (the error argument is not needed)
            (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, v, r, s);
            if (err != ECDSA.RecoverError.NoError) revert ICaseApprovals.ApprovalMalformedSignature(i);
            if (recovered != signer) revert SignatureInvalidSigner(signer);
        }
    }

    /**
     * @dev Entry `i` of `entries` names ERC-1271 signer `signer`, whose signature data
     * (`uint256 length || bytes`) sits at byte `offset` of `signatures`; it must accept it for
     * `digest` (OpenZeppelin `SignatureChecker`).
     */
    function _checkContractSignature(
        bytes calldata signatures,
        uint256 i,
        uint256 entries,
        address signer,
        uint256 offset,
        bytes32 digest
    ) private view {
        uint256 total = signatures.length;
        if (offset < entries * _ENTRY || offset > total - 32) revert ICaseApprovals.ApprovalMalformedSignature(i);
        uint256 length = uint256(bytes32(signatures[offset:offset + 32]));
        if (length > total - offset - 32) revert ICaseApprovals.ApprovalMalformedSignature(i);
        if (!SignatureChecker.isValidSignatureNowCalldata(signer, digest, signatures[offset + 32:offset + 32 + length])) {
            revert SignatureInvalidSigner(signer);
        }
    }

    /**
     * @dev Invariants 2 and M-1, whose decision counts: a signature or vote of `account` counts
     * for a step of `department` only if, at the moment it takes effect (a submission, or the
     * vote that completes the step), `account` is a current key holding the APPROVER role of
     * `department` and `department` is Active ({IDepartmentRegistry-isActiveMember}, called
     * without ABI overhead). A key is one member: a rotated-out key is no longer a member, so
     * its earlier vote stops counting. Votes are checked here; a submitted decision's signers
     * are checked by the same rule for all of them at once
     * ({IDepartmentRegistry-activeMembersPrefix}, in {_checkDecision}).
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
