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
 * `threshold` entries of 65 bytes, signers strictly ascending, each an active APPROVER of the
 * step's Active department at submission (one {IDepartmentRegistry-activeMembersPrefix} call
 * for all of a decision's signers).
 *
 * An EOA entry (`r || s || v`, `v` = 27 or 28) is a signature of the decision's one digest for
 * keys, the `Decision` whose `signer` is zero ("the key that signs"); its signer is the key
 * OpenZeppelin `ECDSA.tryRecover` (low `s` only) recovers, as in Safe's `checkNSignatures`.
 *
 * R2-5: a contract entry (`v` = 0: the ERC-1271 wallet in `r`, the offset of its
 * `uint256 length || bytes` signature data in `s`) is checked with OpenZeppelin
 * `SignatureChecker` over the digest of the `Decision` NAMING THE WALLET. A wallet that accepts
 * its owner's signatures cannot present the owner's own approval (a signature of the digest
 * naming no signer) as its own: the owner would have to sign the `Decision` naming the wallet.
 */
abstract contract DecisionVerifier is SignatureVerifier {
    /// @dev `keccak256("Decision(bytes32 caseId,uint8 step,bool approve,bytes32 commentHash,address signer,uint256 deadline)")`
    bytes32 internal constant _DECISION_TYPEHASH = keccak256(
        "Decision(bytes32 caseId,uint8 step,bool approve,bytes32 commentHash,address signer,uint256 deadline)"
    );

    /// @dev Length of one signature entry: `r || s || v` (Safe's encoding).
    uint256 private constant _ENTRY = 65;

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
     * @dev Reverts unless `d.signatures` holds `threshold` entries for case `caseId`: each an EOA's
     * signature of the decision's digest for keys (`signer` zero) or an ERC-1271 wallet's of the
     * digest naming it, the signers strictly ascending and each an active APPROVER of
     * `department`; returns the signers.
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
        // the struct's words, encoded once: `signer` (word 5) zero gives the one digest every key
        // signs; a wallet's own digest writes its address there ({_contractSigner})
        bytes memory message =
            abi.encode(_DECISION_TYPEHASH, caseId, d.step, d.approve, d.commentHash, address(0), d.deadline);
        signers = _signers(signatures, threshold, message);
        // M-1, for all signers at once: each an active APPROVER of `department`, Active now
        // (the same rule as {_countsAsApproverNow}, one registry call per decision)
        uint256 counted = _activeApprovers(department, signers);
        if (counted < threshold) _revertNotApprover(signers[counted], department);
    }

    /**
     * @dev {IDepartmentRegistry-activeMembersPrefix}`(department, ROLE_APPROVER, signers)` for
     * `signers` laid out by {_signers}: the call's head is written into the 0x80 bytes before the
     * array, so the array is sent as it is, without an ABI-encoding copy (gas per signer).
     */
    function _activeApprovers(bytes32 department, address[] memory signers) private view returns (uint256 counted) {
        address registry = address(_departments);
        bytes4 selector = IDepartmentRegistry.activeMembersPrefix.selector;
        assembly ("memory-safe") {
            // [head + 0x1c] selector | department | role | 0x60 (the array's offset) | signers
            let head := sub(signers, 0x80)
            mstore(head, shr(224, selector))
            mstore(add(head, 0x20), department)
            mstore(add(head, 0x40), ROLE_APPROVER)
            mstore(add(head, 0x60), 0x60)
            let size := add(0x84, shl(5, mload(signers)))
            if iszero(staticcall(gas(), registry, add(head, 0x1c), size, 0x00, 0x20)) {
                let p := mload(0x40)
                returndatacopy(p, 0, returndatasize())
                revert(p, returndatasize())
            }
            // the registry is a contract with this function: anything else answers nothing
            if lt(returndatasize(), 0x20) { revert(0, 0) }
            counted := mload(0x00)
        }
    }

    /**
     * @dev Emits {ICaseApprovals-StepDecided} (submitted by `msg.sender`) for `signers` laid out by
     * {_signers}: the event's head is written into the 0x80 bytes before the array, so the array
     * is logged as it is, without an ABI-encoding copy (gas per signer).
     */
    function _emitStepDecided(
        bytes32 caseId,
        uint8 step,
        bytes32 department,
        bool approve,
        bytes32 commentHash,
        address[] memory signers
    ) internal {
        bytes32 topic = ICaseApprovals.StepDecided.selector;
        assembly ("memory-safe") {
            // approve | commentHash | submitter | 0x80 (the array's offset) | signers
            let head := sub(signers, 0x80)
            mstore(head, approve)
            mstore(add(head, 0x20), commentHash)
            mstore(add(head, 0x40), caller())
            mstore(add(head, 0x60), 0x80)
            log4(head, add(0xa0, shl(5, mload(signers))), topic, caseId, step, department)
        }
    }

    /**
     * @dev The signers of the `entries` entries of `signatures` (checked to hold them), strictly
     * ascending, in an array with 0x80 bytes of head room before it (see {_activeApprovers}): the key each EOA entry recovers for the digest of `message` (the encoded
     * `Decision`, `signer` zero), or each contract entry's wallet once it accepted its data.
     */
    function _signers(bytes calldata signatures, uint256 entries, bytes memory message)
        private
        view
        returns (address[] memory signers)
    {
        bytes32 digest = _hashTypedDataV4(keccak256(message));
        // `signers` with 0x80 bytes reserved before it, where {_activeApprovers} and
        // {_emitStepDecided} write the head of the registry call and of the event; every element
        // is written below (or the call reverts), so the memory is not cleared first
        assembly ("memory-safe") {
            signers := add(mload(0x40), 0x80)
            mstore(signers, entries)
            mstore(0x40, add(signers, shl(5, add(entries, 1))))
        }
        address previous;
        // the hot loop, one pass per signer: `entry` walks the calldata entries, `at` the words
        // of `signers` (entry i is at signatures.offset + 65 i, signers[i] at signers + 32 (i + 1))
        uint256 entry;
        uint256 at;
        uint256 end;
        assembly ("memory-safe") {
            entry := signatures.offset
            at := add(signers, 0x20)
            end := add(at, shl(5, entries))
        }
        while (at < end) {
            bytes32 r;
            bytes32 s;
            uint8 v;
            // r || s || v (inside `signatures`: its length was checked against `entries`)
            assembly ("memory-safe") {
                r := calldataload(entry)
                s := calldataload(add(entry, 0x20))
                v := byte(0, calldataload(add(entry, 0x40)))
                entry := add(entry, _ENTRY)
            }
            address signer;
            if (v != 0) {
                // OpenZeppelin ECDSA: low `s` only; zero (with an error code) for anything
                // invalid, refused below as a malformed entry
                // slither-disable-next-line unused-return (a zero signer is the error)
                (signer,,) = ECDSA.tryRecover(digest, v, r, s);
            } else {
                signer = _contractSigner(signatures, signers, at, message);
            }
            // signers[i] = signer, and the order checked after (on a refusal nothing is kept)
            bool ascending;
            assembly ("memory-safe") {
                ascending := gt(signer, previous)
                mstore(at, signer)
                previous := signer
                at := add(at, 0x20)
            }
            if (!ascending) _refuseEntry(signers, at - 0x20);
        }
    }

    /// @dev The index of the element of `signers` at memory word `at`.
    function _index(address[] memory signers, uint256 at) private pure returns (uint256 i) {
        assembly ("memory-safe") {
            i := shr(5, sub(at, add(signers, 0x20)))
        }
    }

    /// @dev Refuses the entry whose signer was written at word `at` of `signers` and is not above
    /// the one before it (zero for the first): zero when its signature recovers no key
    /// (malformed), a duplicate or unsorted signer otherwise.
    function _refuseEntry(address[] memory signers, uint256 at) private pure {
        uint256 i = _index(signers, at);
        address signer = signers[i];
        if (signer == address(0)) revert ICaseApprovals.ApprovalMalformedSignature(i);
        revert ICaseApprovals.ApprovalSignerOrder(signer, i == 0 ? address(0) : signers[i - 1]);
    }

    /**
     * @dev The ERC-1271 wallet of the contract entry whose signer goes to word `at` of `signers`
     * (entry i of `signatures`, `r || s || 0`): its address is `r`, and its signature data
     * (`uint256 length || bytes`) sits at byte `s` (the offset) of `signatures`, after the
     * entries. The wallet must accept it (OpenZeppelin `SignatureChecker`) for the digest of
     * `message` naming the wallet (R2-5); `message` is left as it was.
     */
    function _contractSigner(
        bytes calldata signatures,
        address[] memory signers,
        uint256 at,
        bytes memory message
    ) private view returns (address wallet) {
        uint256 i = _index(signers, at);
        uint256 total = signatures.length;
        uint256 r;
        uint256 offset;
        assembly ("memory-safe") {
            let entry := add(signatures.offset, mul(i, _ENTRY))
            r := calldataload(entry)
            offset := calldataload(add(entry, 0x20))
        }
        if (r > type(uint160).max || offset < signers.length * _ENTRY || offset > total - 32) {
            revert ICaseApprovals.ApprovalMalformedSignature(i);
        }
        uint256 length = uint256(bytes32(signatures[offset:offset + 32]));
        if (length > total - offset - 32) revert ICaseApprovals.ApprovalMalformedSignature(i);
        wallet = address(uint160(r));
        bytes32 structHash;
        // the `Decision` naming the wallet: word 5 (`signer`) of `message`, put back to zero after
        assembly ("memory-safe") {
            mstore(add(message, 0xc0), wallet)
            structHash := keccak256(add(message, 0x20), 0xe0)
            mstore(add(message, 0xc0), 0)
        }
        bytes32 digest = _hashTypedDataV4(structHash);
        if (!SignatureChecker.isValidSignatureNowCalldata(wallet, digest, signatures[offset + 32:offset + 32 + length])) {
            revert SignatureInvalidSigner(wallet);
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
