// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title IAnchorRegistry
 * @notice Tamper evidence for department records: single-record anchors with versions and
 * Merkle-batch anchors for bulk publishing. An anchor's block and timestamp are the trusted
 * timestamp of electronic evidence (电子存证).
 *
 * Content hash: `keccak256(salt ‖ content)` with a secret random salt of 32 bytes kept with
 * the record off chain (`govchain.sharing.merkle.salted_content_hash`); an unsalted hash of
 * personal data never goes on chain.
 *
 * Single records are identified by (category, recordId, version); version 1 starts a record
 * and version n+1 supersedes version n, which stays verifiable. Storage keeps one slot per
 * version: the first 22 bytes of the content hash, the block number and the timestamp (the
 * full hash is in the {RecordAnchored} event). A 176-bit digest is stronger than an Ethereum
 * address (160 bits): finding a second content with the same digest takes ~2^176 work, two
 * colliding contents ~2^88.
 *
 * Merkle batches: leaf = `keccak256(bytes.concat(keccak256(abi.encode(recordId, contentHash))))`
 * (double-hashed, so a leaf is never a 64-byte inner node), inner node = keccak256 of the
 * sorted pair (OpenZeppelin `MerkleProof`); a batch of any size costs one slot.
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
    /// @notice A batch has no leaves.
    error AnchorBatchEmpty();

    /// @notice Version `version` of `recordId` was anchored with `contentHash` by `publisher`.
    event RecordAnchored(
        bytes32 indexed category,
        bytes32 indexed recordId,
        bytes32 indexed owner,
        uint32 version,
        bytes32 contentHash,
        address publisher
    );

    /// @notice A Merkle batch of `leafCount` records of `category` was anchored by `publisher`.
    event BatchAnchored(
        bytes32 indexed category, bytes32 indexed root, bytes32 indexed owner, uint64 leafCount, address publisher
    );

    /**
     * @notice Anchors version `version` of record `recordId` of `category`.
     * @param contentHash Salted content hash (see the contract notice).
     *
     * Requirements: `category` is in the catalog; the caller is an active STAFF or ADMIN of its
     * owner; `contentHash` is non-zero; `version` is 1 for a new record, otherwise the latest
     * anchored version + 1.
     *
     * Emits {RecordAnchored}.
     */
    function anchorRecord(bytes32 category, bytes32 recordId, uint32 version, bytes32 contentHash) external;

    /**
     * @notice Anchors the Merkle root of a batch of records of `category`.
     * @param leafCount Number of leaves, as declared by the publisher (not checkable on chain).
     *
     * Requirements: `category` is in the catalog; the caller is an active STAFF or ADMIN of its
     * owner; `root` is non-zero and new for `category`; `leafCount` > 0.
     *
     * Emits {BatchAnchored}.
     */
    function anchorBatch(bytes32 category, bytes32 root, uint64 leafCount) external;

    /**
     * @notice Whether `contentHash` is an anchored version of the record.
     * @return anchored True if some version carries this content hash.
     * @return version That version (0 if none).
     * @return latest Whether it is the latest version (not superseded).
     * @return blockNumber Block of the anchor.
     * @return timestamp Timestamp of that block.
     */
    function verifyRecord(bytes32 category, bytes32 recordId, bytes32 contentHash)
        external
        view
        returns (bool anchored, uint32 version, bool latest, uint64 blockNumber, uint64 timestamp);

    /**
     * @notice The stored anchor of one version: first 22 bytes of its content hash, block,
     * timestamp (all zero if that version is not anchored).
     */
    function recordVersion(bytes32 category, bytes32 recordId, uint32 version)
        external
        view
        returns (bytes22 digest, uint64 blockNumber, uint64 timestamp);

    /// @notice The latest anchored version of the record (0 if none).
    function latestVersion(bytes32 category, bytes32 recordId) external view returns (uint32);

    /// @notice The batch anchor of `root` (all zero if not anchored).
    function batchAnchor(bytes32 category, bytes32 root)
        external
        view
        returns (uint64 leafCount, uint64 blockNumber, uint64 timestamp);

    /**
     * @notice Whether (`recordId`, `contentHash`) is a leaf of the anchored batch `root`.
     * @return anchored True if `root` is anchored for `category` and `proof` proves the leaf.
     * @return blockNumber Block of the batch anchor (0 if not anchored).
     * @return timestamp Timestamp of that block.
     */
    function verifyLeaf(
        bytes32 category,
        bytes32 root,
        bytes32 recordId,
        bytes32 contentHash,
        bytes32[] calldata proof
    ) external view returns (bool anchored, uint64 blockNumber, uint64 timestamp);

    /// @notice The Merkle leaf of a record: double keccak of `abi.encode(recordId, contentHash)`.
    function leafHash(bytes32 recordId, bytes32 contentHash) external pure returns (bytes32);
}
