// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IAnchorRegistry} from "../interfaces/IAnchorRegistry.sol";
import {IDepartmentRegistry, ROLE_STAFF, ROLE_ADMIN} from "../interfaces/IDepartmentRegistry.sol";
import {DataCatalog} from "./DataCatalog.sol";

/**
 * @title AnchorRegistry
 * @notice Single-record and Merkle-batch anchors over the data catalog it extends. Only an
 * active STAFF or ADMIN of a category's owner department anchors its records. Per record,
 * single anchors are append-only (contiguous versions, each written once); a batch pins first
 * versions under one root (see {IAnchorRegistry}).
 */
contract AnchorRegistry is DataCatalog, IAnchorRegistry {
    /// @dev Domain tag of the record hash.
    bytes32 public constant RECORD_HASH_TAG = keccak256("govchain.record.v1");

    /// @notice Most records one {anchorRecords} call anchors (bounds its gas).
    uint256 public constant MAX_RECORDS_PER_CALL = 256;

    /// @dev One slot: 176-bit record-hash digest, block number, block timestamp.
    struct RecordAnchor {
        bytes22 digest;
        uint40 blockNumber;
        uint40 timestamp;
    }

    /// @dev One slot: declared leaf count, block number, block timestamp.
    struct BatchAnchor {
        uint64 leafCount;
        uint40 blockNumber;
        uint40 timestamp;
    }

    mapping(bytes32 versionKey => RecordAnchor) private _records;
    mapping(bytes32 batchKey => BatchAnchor) private _batches;

    constructor(IDepartmentRegistry departments_) DataCatalog(departments_) {}

    /// @inheritdoc IAnchorRegistry
    function anchorRecord(bytes32 category, bytes32 recordId, uint32 version, bytes32 recordHash_) external {
        _anchor(category, _checkPublisher(category), recordId, version, recordHash_);
    }

    /// @inheritdoc IAnchorRegistry
    function anchorRecords(
        bytes32 category,
        bytes32[] calldata recordIds,
        uint32[] calldata versions,
        bytes32[] calldata recordHashes
    ) external {
        bytes32 owner = _checkPublisher(category);
        uint256 count = recordIds.length;
        if (count == 0) revert AnchorBatchEmpty();
        if (versions.length != count || recordHashes.length != count) revert AnchorLengthMismatch();
        if (count > MAX_RECORDS_PER_CALL) revert AnchorTooManyRecords(count, MAX_RECORDS_PER_CALL);
        for (uint256 i = 0; i < count; ++i) {
            _anchor(category, owner, recordIds[i], versions[i], recordHashes[i]);
        }
    }

    /// @dev The one rule of single anchors: non-zero hash, version >= 1, written once, no gap.
    function _anchor(bytes32 category, bytes32 owner, bytes32 recordId, uint32 version, bytes32 recordHash_)
        private
    {
        if (recordHash_ == bytes32(0)) revert AnchorZeroHash();
        if (version == 0) revert AnchorZeroVersion();
        bytes32 key = _versionKey(category, recordId, version);
        if (_records[key].blockNumber != 0) revert AnchorVersionExists(category, recordId, version);
        if (version > 1 && !_hasVersion(category, recordId, version - 1)) {
            revert AnchorVersionGap(category, recordId, version);
        }
        _records[key] = RecordAnchor(bytes22(recordHash_), uint40(block.number), uint40(block.timestamp));
        emit RecordAnchored(category, recordId, owner, version, recordHash_, msg.sender);
    }

    /// @inheritdoc IAnchorRegistry
    function anchorRecordAfterBatch(
        bytes32 category,
        bytes32 recordId,
        bytes32 root,
        bytes32 firstHash,
        bytes32[] calldata proof,
        bytes32 recordHash_
    ) external {
        bytes32 owner = _checkPublisher(category);
        if (recordHash_ == bytes32(0) || firstHash == bytes32(0)) revert AnchorZeroHash();
        bytes32 first = _versionKey(category, recordId, 1);
        if (_records[first].blockNumber != 0) revert AnchorVersionExists(category, recordId, 1);
        if (_batches[_batchKey(category, root)].blockNumber == 0) revert AnchorBatchUnknown(category, root);
        if (!MerkleProof.verifyCalldata(proof, root, _leaf(category, recordId, 1, firstHash))) {
            revert AnchorLeafNotProven(category, root, recordId);
        }
        RecordAnchor memory pinned = RecordAnchor(bytes22(firstHash), uint40(block.number), uint40(block.timestamp));
        _records[first] = pinned;
        pinned.digest = bytes22(recordHash_);
        _records[_versionKey(category, recordId, 2)] = pinned;
        emit FirstVersionPinned(category, recordId, owner, root, firstHash, msg.sender);
        emit RecordAnchored(category, recordId, owner, 2, recordHash_, msg.sender);
    }

    /// @inheritdoc IAnchorRegistry
    function anchorBatch(bytes32 category, bytes32 root, uint64 leafCount) external {
        bytes32 owner = _checkPublisher(category);
        if (root == bytes32(0)) revert AnchorZeroHash();
        if (leafCount == 0) revert AnchorBatchEmpty();
        BatchAnchor storage slot = _batches[_batchKey(category, root)];
        if (slot.blockNumber != 0) revert AnchorBatchExists(category, root);
        slot.leafCount = leafCount;
        slot.blockNumber = uint40(block.number);
        slot.timestamp = uint40(block.timestamp);
        emit BatchAnchored(category, root, owner, leafCount, msg.sender);
    }

    /// @inheritdoc IAnchorRegistry
    function verifyRecord(bytes32 category, bytes32 recordId, bytes32 recordHash_)
        external
        view
        returns (bool anchored, uint32 version, bool latest, uint64 blockNumber, uint64 timestamp)
    {
        uint32 last = _latestVersion(category, recordId);
        bytes22 digest = bytes22(recordHash_);
        for (uint32 v = last; v > 0; --v) {
            RecordAnchor storage slot = _records[_versionKey(category, recordId, v)];
            if (slot.digest == digest) {
                return (true, v, v == last, slot.blockNumber, slot.timestamp);
            }
        }
    }

    /// @inheritdoc IAnchorRegistry
    function recordVersion(bytes32 category, bytes32 recordId, uint32 version)
        external
        view
        returns (bytes22 digest, uint64 blockNumber, uint64 timestamp)
    {
        RecordAnchor storage slot = _records[_versionKey(category, recordId, version)];
        return (slot.digest, slot.blockNumber, slot.timestamp);
    }

    /// @inheritdoc IAnchorRegistry
    function latestVersion(bytes32 category, bytes32 recordId) external view returns (uint32) {
        return _latestVersion(category, recordId);
    }

    /// @inheritdoc IAnchorRegistry
    function batchAnchor(bytes32 category, bytes32 root)
        external
        view
        returns (uint64 leafCount, uint64 blockNumber, uint64 timestamp)
    {
        BatchAnchor storage slot = _batches[_batchKey(category, root)];
        return (slot.leafCount, slot.blockNumber, slot.timestamp);
    }

    /// @inheritdoc IAnchorRegistry
    function verifyLeaf(
        bytes32 category,
        bytes32 root,
        bytes32 recordId,
        bytes32 recordHash_,
        bytes32[] calldata proof
    ) external view returns (bool anchored, uint64 blockNumber, uint64 timestamp) {
        BatchAnchor storage slot = _batches[_batchKey(category, root)];
        if (slot.blockNumber == 0) return (false, 0, 0);
        if (!MerkleProof.verifyCalldata(proof, root, _leaf(category, recordId, 1, recordHash_))) {
            return (false, 0, 0);
        }
        return (true, slot.blockNumber, slot.timestamp);
    }

    /// @inheritdoc IAnchorRegistry
    function leafHash(bytes32 category, bytes32 recordId, uint32 version, bytes32 recordHash_)
        external
        pure
        returns (bytes32)
    {
        return _leaf(category, recordId, version, recordHash_);
    }

    /// @inheritdoc IAnchorRegistry
    function recordHash(
        bytes32 category,
        bytes32 recordId,
        uint32 version,
        bytes32 owner,
        address subject,
        bytes32 mediaTypeHash,
        bytes32 contentDigest,
        bytes32 salt
    ) external pure returns (bytes32) {
        return keccak256(
            abi.encode(
                RECORD_HASH_TAG, category, recordId, version, owner, subject, mediaTypeHash, contentDigest, salt
            )
        );
    }

    /// @dev The category's owner, after checking the caller may publish for it.
    function _checkPublisher(bytes32 category) private view returns (bytes32 owner) {
        owner = _ownerOf(category);
        if (owner == bytes32(0)) revert AnchorUnknownCategory(category);
        // One registry call for either role: memberOf reads the key's member slot and the
        // department's status slot, as one isActiveMember does.
        (bytes32 dept, uint8 roles, bool active) = departments.memberOf(msg.sender);
        if (dept != owner || !active || roles & (ROLE_STAFF | ROLE_ADMIN) == 0) {
            revert AnchorNotPublisher(msg.sender, owner);
        }
    }

    /// @dev Latest version by galloping then binary search over the contiguous versions 1..n.
    function _latestVersion(bytes32 category, bytes32 recordId) private view returns (uint32) {
        if (!_hasVersion(category, recordId, 1)) return 0;
        uint256 low = 1; // anchored
        uint256 high = 2; // probe
        while (high <= type(uint32).max && _hasVersion(category, recordId, uint32(high))) {
            low = high;
            high *= 2;
        }
        if (high > type(uint32).max) high = uint256(type(uint32).max) + 1;
        // invariant: low anchored, high not anchored (or out of range)
        while (high - low > 1) {
            uint256 mid = (low + high) / 2;
            if (_hasVersion(category, recordId, uint32(mid))) low = mid;
            else high = mid;
        }
        return uint32(low);
    }

    function _hasVersion(bytes32 category, bytes32 recordId, uint32 version) private view returns (bool) {
        return _records[_versionKey(category, recordId, version)].blockNumber != 0;
    }

    function _versionKey(bytes32 category, bytes32 recordId, uint32 version) private pure returns (bytes32 key) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, category)
            mstore(add(p, 0x20), recordId)
            mstore(add(p, 0x40), version)
            key := keccak256(p, 0x60)
        }
    }

    function _batchKey(bytes32 category, bytes32 root) private pure returns (bytes32 key) {
        assembly ("memory-safe") {
            mstore(0x00, category)
            mstore(0x20, root)
            key := keccak256(0x00, 0x40)
        }
    }

    /// @dev StandardMerkleTree leaf of `(bytes32, bytes32, uint32, bytes32)`.
    function _leaf(bytes32 category, bytes32 recordId, uint32 version, bytes32 hash)
        private
        pure
        returns (bytes32)
    {
        return keccak256(bytes.concat(keccak256(abi.encode(category, recordId, version, hash))));
    }
}
