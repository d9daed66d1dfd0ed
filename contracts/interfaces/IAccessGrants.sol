// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title IAccessGrants
 * @notice Grants that let one department (the grantee) use data categories of another (the
 * owner), and the on-chain access records that must exist before any data is released.
 *
 * A grant's terms live in calldata and events, not in storage: the grant id is the EIP-712
 * struct hash of its {Grant} terms, and storage keeps one slot per grant (grantor key, status,
 * legal basis, use count). Every call that acts on a grant passes its terms; the contract
 * recomputes the id, so terms cannot be altered. Clients read the terms from {GrantCreated}.
 *
 * Legal bases (PIPL art. 13):
 * - `Consent` — given by the data subject: the current owner key of the citizen identity, or
 *   a valid `DELEGATE_AGENT` delegate (代办), directly ({grant}) or by EIP-712 signature relayed
 *   by anyone, typically the grantee, so the citizen pays nothing ({grantBySignature}).
 * - `StatutoryDuty` — for state organs fulfilling a statutory duty without consent. Only an
 *   active APPROVER of the owner department may create it ({grantStatutory}): the controller
 *   that releases the data answers for the legal ground. The subject cannot revoke it; any
 *   active APPROVER of the owner can.
 * - `OwnerApproval` — conditional data without a personal subject (subject zero): created
 *   only by approving a sharing request (IShareRequests).
 *
 * Categories: every entry of `categories` is a category code of `owner`, or `owner` itself,
 * which stands for every non-sensitive category of that owner. A sensitive category (PIPL
 * art. 28) is covered only when named (separate consent, art. 29). A NotShared category can
 * never be granted: naming it is refused. An owner's reclassification to NotShared stops every
 * access at once, under every grant: the catalog reports it ({categoryClassChanged}) and an
 * access under a grant that names the category checks that record (one local read); owner-wide
 * coverage reads the category's class in the catalog at the block of the access. The owner's
 * approvers may also revoke such grants ({revokeByTerms}).
 * Unconditional categories need no grant ({recordOpenAccess}) but every access is recorded.
 *
 * A grant is live from `validFrom` (inclusive) until `validUntil` (exclusive), until revoked,
 * and while uses remain (`maxUses` 0 = no limit).
 */
/**
 * @title ICategoryClassListener
 * @notice What the data catalog calls when a category is reclassified to or from NotShared.
 */
interface ICategoryClassListener {
    /**
     * @notice The catalog reclassified `category`: NotShared now if `notShared`, else shareable
     * again. Requirements: the caller is the catalog. Emits {IAccessGrants-CategoryClassSynced}.
     */
    function categoryClassChanged(bytes32 category, bool notShared) external;
}

interface IAccessGrants is ICategoryClassListener {
    enum LegalBasis {
        Consent,
        StatutoryDuty,
        OwnerApproval
    }

    enum GrantStatus {
        None,
        Live,
        Revoked
    }

    /**
     * @notice Whether an access by `member` to a category under a grant would be recorded now,
     * and if not, why: one value per refusal of {recordAccess}, in the order it checks them
     * (as OpenZeppelin `Governor.state()`). Clients and data nodes ask {accessStatus} rather
     * than re-deriving the rule. `Unknown` is zero, so an empty answer never reads as `Live`.
     * - `Unknown`: no grant has these terms (AccessGrantUnknown).
     * - `Live`: {recordAccess} would succeed.
     * - `Revoked`: the grant was revoked (AccessGrantRevoked).
     * - `PreviousOwnerConsent`: a consent of a previous owner key of the subject, unconfirmed
     *   (AccessGrantPreviousOwnerConsent).
     * - `NotYetValid` / `Expired`: outside the window (AccessGrantNotYetValid / AccessGrantExpired).
     * - `NotStaff`: `member` does not hold STAFF in the grantee (AccessGrantNotStaff).
     * - `GranteeInactive`: the grantee department is not Active (also AccessGrantNotStaff).
     * - `NotCovered`: the grant does not cover the category (AccessGrantCategoryNotCovered).
     * - `NotShared`: the category is classed NotShared now (AccessGrantCategoryNotShared).
     * - `UsedUp`: every allowed use is spent (AccessGrantUsesExhausted).
     */
    enum AccessStatus {
        Unknown,
        Live,
        Revoked,
        PreviousOwnerConsent,
        NotYetValid,
        Expired,
        NotStaff,
        GranteeInactive,
        NotCovered,
        NotShared,
        UsedUp
    }

    /**
     * @notice Terms of a grant. EIP-712 type:
     * `Grant(address subject,bytes32 grantee,bytes32 owner,bytes32[] categories,bytes32 purposeHash,uint8 basis,uint40 validFrom,uint40 validUntil,uint32 maxUses,uint256 nonce)`.
     * @dev `nonce` is any number the subject (or issuer) picks to tell identical terms apart;
     * each distinct set of terms can be granted once, so a signature cannot be replayed.
     */
    struct Grant {
        address subject;
        bytes32 grantee;
        bytes32 owner;
        bytes32[] categories;
        bytes32 purposeHash;
        LegalBasis basis;
        uint40 validFrom;
        uint40 validUntil;
        uint32 maxUses;
        uint256 nonce;
    }

    /**
     * @notice What storage keeps of a grant (one slot). `epoch`: for a Consent grant, the
     * subject's owner epoch (ICitizenRegistry) it was given or confirmed under; it authorises
     * access only while that epoch is current. Zero for other bases.
     */
    struct GrantState {
        address grantor;
        GrantStatus status;
        LegalBasis basis;
        uint32 uses;
        uint32 epoch;
    }

    /// @notice A consent or statutory grant needs a subject.
    error AccessGrantZeroSubject();
    /// @notice The function does not create grants with legal basis `basis`.
    error AccessGrantWrongBasis(LegalBasis basis);
    /// @notice `account` is neither the owner key nor a valid agent of identity `subject`.
    error AccessGrantNotSubjectController(address account, address subject);
    /// @notice `account` is not an active APPROVER of `owner`.
    error AccessGrantNotApprover(address account, bytes32 owner);
    /// @notice `account` is not the grantor of `grantId` and may not revoke it this way.
    error AccessGrantNotGrantor(address account, bytes32 grantId);
    /// @notice `validFrom` is not before `validUntil`, or `validUntil` has passed.
    error AccessGrantInvalidWindow(uint40 validFrom, uint40 validUntil);
    /// @notice The grant names no category.
    error AccessGrantNoCategories();
    /// @notice The grantee department is not Active.
    error AccessGrantGranteeInactive(bytes32 grantee);
    /// @notice `category` is not in the catalog.
    error AccessGrantUnknownCategory(bytes32 category);
    /// @notice `category` is owned by `actualOwner`, not by the grant's owner.
    error AccessGrantWrongOwner(bytes32 category, bytes32 actualOwner);
    /// @notice `category` is classed NotShared.
    error AccessGrantCategoryNotShared(bytes32 category);
    /// @notice Only the data catalog reports reclassifications; `caller` is not it.
    error AccessGrantUnauthorizedCatalog(address caller);
    /// @notice A grant with these terms exists already.
    error AccessGrantAlreadyExists(bytes32 grantId);
    /// @notice No grant has these terms.
    error AccessGrantUnknown(bytes32 grantId);
    /// @notice The grant was revoked.
    error AccessGrantRevoked(bytes32 grantId);
    /// @notice The grant's window has not opened.
    error AccessGrantNotYetValid(bytes32 grantId, uint40 validFrom);
    /// @notice The grant's window has closed.
    error AccessGrantExpired(bytes32 grantId, uint40 validUntil);
    /// @notice `account` is not an active STAFF member of `department`.
    error AccessGrantNotStaff(address account, bytes32 department);
    /// @notice The grant does not cover `category`.
    error AccessGrantCategoryNotCovered(bytes32 grantId, bytes32 category);
    /// @notice Every allowed use of the grant is spent.
    error AccessGrantUsesExhausted(bytes32 grantId, uint32 maxUses);
    /// @notice `category` is not Unconditional, so an access needs a grant.
    error AccessGrantNotUnconditional(bytes32 category);
    /// @notice The consent `grantId` was given under the subject's owner epoch `grantEpoch`, but
    /// the subject's key has changed since (epoch `ownerEpoch`): the current owner must confirm it.
    error AccessGrantPreviousOwnerConsent(bytes32 grantId, uint256 grantEpoch, uint256 ownerEpoch);
    /// @notice `account` is not the current owner key of identity `subject` (agents may not
    /// confirm or sweep consents of previous keys).
    error AccessGrantNotSubjectOwner(address account, address subject);
    /// @notice The consent `grantId` belongs to the current owner epoch `epoch`: it is not a
    /// consent of a previous key.
    error AccessGrantConsentCurrent(bytes32 grantId, uint256 epoch);

    /// @notice A grant was created by `grantor` (the subject's key or agent, or an approver).
    /// @notice The catalog reported `category` NotShared (`notShared`) or shareable again.
    event CategoryClassSynced(bytes32 indexed category, bool notShared);

    event GrantCreated(
        bytes32 indexed grantId,
        address indexed subject,
        bytes32 indexed grantee,
        bytes32 owner,
        bytes32[] categories,
        bytes32 purposeHash,
        LegalBasis basis,
        uint40 validFrom,
        uint40 validUntil,
        uint32 maxUses,
        uint256 nonce,
        address grantor
    );

    /// @notice `grantId` was revoked by `revokedBy` (also emitted for a consent cancelled before use).
    event GrantRevoked(bytes32 indexed grantId, address indexed revokedBy);

    /// @notice The current owner of `subject` confirmed consent `grantId`, given under a
    /// previous owner epoch, for owner epoch `epoch`.
    event ConsentConfirmed(bytes32 indexed grantId, address indexed subject, uint256 epoch, address sender);

    /**
     * @notice The audit record: `member` of `grantee` accessed `category` of `owner` about
     * `subject` (zero if none) for `purposeHash` under `grantId` (zero for unconditional data).
     * `requestHash` identifies the data request the owner's node will answer.
     */
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

    /**
     * @notice Gives a consent grant as the subject's owner key or valid agent.
     * @return grantId The EIP-712 struct hash of `terms`.
     *
     * Requirements: `terms.basis` is Consent; `terms.subject` non-zero and controlled by the
     * caller; window valid; categories non-empty, each a category of `terms.owner` that is not
     * NotShared, or `terms.owner`; grantee Active; terms not granted or cancelled before.
     *
     * Emits {GrantCreated}.
     */
    function grant(Grant calldata terms) external returns (bytes32 grantId);

    /**
     * @notice Creates a consent grant signed by the subject's owner key or valid agent
     * `signer`. Anyone may relay it. EIP-712 type:
     * `GrantConsent(Grant grant,address signer,uint256 deadline)Grant(...)`. The message names its
     * signer; the owner epoch is read when it is relayed (the signer must control the subject
     * then, under the current epoch), and the grant is bound to that epoch.
     *
     * Requirements: as {grant} with `signer` in place of the caller; `deadline` not passed;
     * `signature` is `signer`'s (EOA or ERC-1271).
     *
     * Emits {GrantCreated}.
     */
    function grantBySignature(Grant calldata terms, address signer, uint256 deadline, bytes calldata signature)
        external
        returns (bytes32 grantId);

    /**
     * @notice Creates a StatutoryDuty grant as an active APPROVER of `terms.owner`.
     *
     * Requirements: `terms.basis` is StatutoryDuty; subject non-zero; otherwise as {grant}.
     *
     * Emits {GrantCreated}.
     */
    function grantStatutory(Grant calldata terms) external returns (bytes32 grantId);

    /**
     * @notice Revokes grant `grantId` at once. A consent grant is revoked by the key that
     * gave it (see {revokeByTerms} for the identity's current keys and the owner); a StatutoryDuty or
     * OwnerApproval grant by any active APPROVER of its owner.
     *
     * Requirements: the grant is Live; the caller may revoke it as above.
     *
     * Emits {GrantRevoked}.
     */
    function revoke(bytes32 grantId) external;

    /**
     * @notice Revokes a grant given its terms: as the subject's current owner key or valid
     * agent (Consent grants; this also cancels a signed consent that has not been relayed
     * yet, which can then never be created), or as an active APPROVER of `terms.owner` (any
     * grant: the owner may always stop sharing its data, e.g. after reclassifying a category
     * NotShared).
     *
     * Requirements: the caller is one of the above; the grant is not already revoked; it
     * exists, unless the caller acts for the subject.
     *
     * Emits {GrantRevoked}.
     */
    function revokeByTerms(Grant calldata terms) external;

    /**
     * @notice The current owner key of `terms.subject` confirms a consent given under a previous
     * owner epoch (by a previous key or its agents), so it authorises access again.
     *
     * Requirements: the caller is the subject's current owner key; the grant is a Live Consent
     * grant of a previous epoch.
     *
     * Emits {ConsentConfirmed}.
     */
    function confirmConsent(Grant calldata terms) external;

    /**
     * @notice The current owner key of a subject revokes, in one transaction, consents given
     * under previous owner epochs (list them with the SDK: `govchain citizen previous-grants`).
     *
     * Requirements: for each: the caller is the current owner key of its subject; a Live
     * Consent grant of a previous epoch.
     *
     * Emits {GrantRevoked} for each.
     */
    function revokePreviousConsents(Grant[] calldata terms) external;

    /**
     * @notice Whether grant `grantId` about `subject` is not a consent of a previous owner epoch
     * (true for other bases). What a data node asks before it releases anything.
     */
    function consentCurrent(bytes32 grantId, address subject) external view returns (bool);

    /**
     * @notice Records that the caller, a member of the grantee, accesses `category` under the
     * grant with `terms`. The owner's data node serves nothing without this record.
     *
     * Requirements: the grant is Live and inside its window; a Consent grant was given or
     * confirmed under the subject's current owner epoch; the caller is an active STAFF of
     * `terms.grantee`; `category` is named by the grant and not classed NotShared now, or the
     * grant is owner-wide and `category` is a non-sensitive, not NotShared category of the
     * owner; uses remain.
     *
     * Emits {AccessRecorded}.
     */
    function recordAccess(Grant calldata terms, bytes32 category, bytes32 requestHash) external;

    /**
     * @notice Records an access by the caller to an Unconditional category, for which no
     * grant is needed.
     *
     * Requirements: the caller is an active STAFF of a department; `category` is Unconditional.
     *
     * Emits {AccessRecorded} with zero subject and grant id.
     */
    function recordOpenAccess(bytes32 category, bytes32 purposeHash, bytes32 requestHash) external;

    /// @notice The id of a grant with these terms (its EIP-712 struct hash).
    function grantIdOf(Grant calldata terms) external pure returns (bytes32);

    /// @notice What storage keeps of grant `grantId`.
    function grantState(bytes32 grantId) external view returns (GrantState memory);

    /**
     * @notice Whether an access to `category` under `terms` would be admitted now, leaving the
     * caller's membership aside (the same rules as {recordAccess}).
     */
    function isLive(Grant calldata terms, bytes32 category) external view returns (bool);

    /**
     * @notice The status of an access by `member` to `category` under `terms` at this block:
     * `Live` exactly when {recordAccess} called by `member` would succeed, else the reason it
     * would refuse (computed by the same internal function {recordAccess} refuses with).
     */
    function accessStatus(Grant calldata terms, bytes32 category, address member)
        external
        view
        returns (AccessStatus);
}
