// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title IAnchorRegistry
 * @notice Tamper evidence for department records: single-record anchors with versions and
 * Merkle-batch anchors for bulk first publication. An anchor's block and timestamp are the
 * trusted timestamp of electronic evidence (电子存证).
 *
 * Record hash (what is anchored): every column that gives a record its meaning, salted with a
 * secret random 32-byte salt kept with the record off chain (so nothing is brute-forceable):
 * `keccak256(abi.encode(RECORD_HASH_TAG, category, recordId, version, owner, subject,
 * keccak256(mediaType), keccak256(content), salt))` ({recordHash};
 * `govchain.sharing.merkle.record_hash`). `owner` is the category's owner department, `subject`
 * the citizen the record is about (zero if none). A one-byte change of any column changes it.
 *
 * Single records are identified by (category, recordId, version); version 1 starts a record
 * and version n+1 supersedes version n, which stays verifiable. Versions are contiguous and a
 * version is written once (refused on chain). Storage keeps one slot per version: the first 22
 * bytes of the record hash, the block number and the timestamp (the full hash is in the
 * {RecordAnchored} event). A 176-bit digest is stronger than an Ethereum address (160 bits).
 *
 * Merkle batches publish FIRST versions only, one slot per batch whatever its size. Leaves are
 * OpenZeppelin StandardMerkleTree leaves of `(bytes32 category, bytes32 recordId, uint32 version,
 * bytes32 recordHash)` with version 1: `keccak256(bytes.concat(keccak256(abi.encode(...))))`,
 * inner node = keccak256 of the sorted pair (`MerkleProof`), so the npm package (OpenZeppelin merkle-tree)
 * verifies them. Every later version of a batched record is a single anchor: version 2 by
 * {anchorRecordAfterBatch}, which proves version 1 against its batch and pins it per record.
 * Once a record has a single anchor, `latestVersion` is the truth and a requester accepts only
 * that version; a batch leaf is acceptable only while `latestVersion` is 0. A record published
 * as version 1 in two batches cannot be refused here (the chain sees only roots): the tamper
 * audit, which must rebuild every anchored root from the store, names it.
 */
interface IAnchorRegistry {
    /// @notice `account` is not an active STAFF or ADMIN member of `owner`, the category's owner.
    error AnchorNotPublisher(address account, bytes32 owner);
    /// @notice `category` is not in the catalog.
    error AnchorUnknownCategory(bytes32 category);
    /// @notice The content hash or Merkle root is zero.
    error AnchorZeroHash();
    /// @notice Version 0 is not a version.
    error AnchorZeroVersion();
    /// @notice This version of the record is already anchored.
    error AnchorVersionExists(bytes32 category, bytes32 recordId, uint32 version);
    /// @notice Version `version` - 1 of the record is not anchored yet.
    error AnchorVersionGap(bytes32 category, bytes32 recordId, uint32 version);
    /// @notice The batch `root` of `category` is already anchored.
    error AnchorBatchExists(bytes32 category, bytes32 root);
    /// @notice The record ids, versions and record hashes of a multi-record anchor differ in length.
    error AnchorLengthMismatch();
    /// @notice A multi-record anchor of `count` records exceeds the bound `max`.
    error AnchorTooManyRecords(uint256 count, uint256 max);
    /// @notice The batch `root` of `category` is not anchored.
    error AnchorBatchUnknown(bytes32 category, bytes32 root);
    /// @notice The proof does not show version 1 of `recordId` with the given hash as a leaf of `root`.
    error AnchorLeafNotProven(bytes32 category, bytes32 root, bytes32 recordId);
    /// @notice A batch has no leaves.
    error AnchorBatchEmpty();

    /// @notice Version `version` of `recordId` was anchored with `recordHash` by `publisher`.
    event RecordAnchored(
        bytes32 indexed category,
        bytes32 indexed recordId,
        bytes32 indexed owner,
        uint32 version,
        bytes32 recordHash,
        address publisher
    );

    /// @notice Version 1 of `recordId`, a leaf of batch `root`, was pinned per record by `sender`
    /// (so that version 2 could follow it).
    event FirstVersionPinned(
        bytes32 indexed category,
        bytes32 indexed recordId,
        bytes32 indexed owner,
        bytes32 root,
        bytes32 recordHash,
        address sender
    );

    /// @notice A Merkle batch of `leafCount` records of `category` was anchored by `publisher`.
    event BatchAnchored(
        bytes32 indexed category, bytes32 indexed root, bytes32 indexed owner, uint64 leafCount, address publisher
    );

    /**
     * @notice Anchors version `version` of record `recordId` of `category`.
     * @param recordHash Salted record hash over every column (see the contract notice).
     *
     * Requirements: `category` is in the catalog; the caller is an active STAFF or ADMIN of its
     * owner; `recordHash` is non-zero; `version` is 1 for a new record, otherwise the latest
     * anchored version + 1 (a version is written once, versions have no gaps).
     *
     * Emits {RecordAnchored}.
     */
    function anchorRecord(bytes32 category, bytes32 recordId, uint32 version, bytes32 recordHash) external;

    /**
     * @notice Anchors one version of each of several records of `category` (bulk updates:
     * per-record state, so every rule of {anchorRecord} holds for each, in order).
     *
     * Requirements: as {anchorRecord} for every entry; the three arrays have the same length,
     * from 1 to `MAX_RECORDS_PER_CALL` (256). The whole call reverts if one entry is refused.
     *
     * Emits {RecordAnchored} per record.
     */
    function anchorRecords(
        bytes32 category,
        bytes32[] calldata recordIds,
        uint32[] calldata versions,
        bytes32[] calldata recordHashes
    ) external;

    /**
     * @notice Anchors version 2 of a record whose version 1 was published in batch `root`:
     * proves version 1 (`firstHash`) as a leaf of the anchored batch, pins it per record, then
     * anchors `recordHash` as version 2. From then on the record's history is on chain.
     *
     * Requirements: as {anchorRecord}; no version of the record has a single anchor yet;
     * `root` is an anchored batch of `category`; `proof` proves the leaf
     * `(category, recordId, 1, firstHash)` under `root`.
     *
     * Emits {FirstVersionPinned} and {RecordAnchored} (version 2).
     */
    function anchorRecordAfterBatch(
        bytes32 category,
        bytes32 recordId,
        bytes32 root,
        bytes32 firstHash,
        bytes32[] calldata proof,
        bytes32 recordHash
    ) external;

    /**
     * @notice Anchors the Merkle root of a batch of first versions (version 1) of records of
     * `category`.
     * @param leafCount Number of leaves, as declared by the publisher (not checkable on chain).
     *
     * Requirements: `category` is in the catalog; the caller is an active STAFF or ADMIN of its
     * owner; `root` is non-zero and new for `category`; `leafCount` > 0.
     *
     * Emits {BatchAnchored}.
     */
    function anchorBatch(bytes32 category, bytes32 root, uint64 leafCount) external;

    /**
     * @notice Whether `recordHash` is a single-anchored version of the record.
     * @return anchored True if some version carries this record hash.
     * @return version That version (0 if none).
     * @return latest Whether it is the latest version (not superseded).
     * @return blockNumber Block of the anchor.
     * @return timestamp Timestamp of that block.
     */
    function verifyRecord(bytes32 category, bytes32 recordId, bytes32 recordHash)
        external
        view
        returns (bool anchored, uint32 version, bool latest, uint64 blockNumber, uint64 timestamp);

    /**
     * @notice The stored anchor of one version: first 22 bytes of its record hash, block,
     * timestamp (all zero if that version is not anchored).
     */
    function recordVersion(bytes32 category, bytes32 recordId, uint32 version)
        external
        view
        returns (bytes22 digest, uint64 blockNumber, uint64 timestamp);

    /// @notice The latest single-anchored version of the record (0 if none: then only a batch
    /// leaf of version 1 can be accepted).
    function latestVersion(bytes32 category, bytes32 recordId) external view returns (uint32);

    /// @notice The batch anchor of `root` (all zero if not anchored).
    function batchAnchor(bytes32 category, bytes32 root)
        external
        view
        returns (uint64 leafCount, uint64 blockNumber, uint64 timestamp);

    /**
     * @notice Whether version 1 of `recordId` with `recordHash` is a leaf of the anchored batch
     * `root` (a batch holds first versions only). Whether the leaf is still the record's
     * latest version is {latestVersion}'s answer: 0 means yes.
     * @return anchored True if `root` is anchored for `category` and `proof` proves the leaf.
     * @return blockNumber Block of the batch anchor (0 if not anchored).
     * @return timestamp Timestamp of that block.
     */
    function verifyLeaf(
        bytes32 category,
        bytes32 root,
        bytes32 recordId,
        bytes32 recordHash,
        bytes32[] calldata proof
    ) external view returns (bool anchored, uint64 blockNumber, uint64 timestamp);

    /// @notice The StandardMerkleTree leaf of a record version: double keccak of
    /// `abi.encode(category, recordId, version, recordHash)`.
    function leafHash(bytes32 category, bytes32 recordId, uint32 version, bytes32 recordHash)
        external
        pure
        returns (bytes32);

    /**
     * @notice The record hash over every column of a record version (see the contract notice).
     * @param mediaTypeHash `keccak256` of the media type's UTF-8 bytes.
     * @param contentDigest `keccak256` of the content bytes.
     */
    function recordHash(
        bytes32 category,
        bytes32 recordId,
        uint32 version,
        bytes32 owner,
        address subject,
        bytes32 mediaTypeHash,
        bytes32 contentDigest,
        bytes32 salt
    ) external pure returns (bytes32);
}
