// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title IObjectionRegistry
 * @notice A citizen's right to have her data corrected (PIPL art. 46): she, or her valid agent
 * delegate, objects to an attestation about her or to an anchored record; the owner
 * department's approvers uphold it (the attestation revoked, or the record corrected as a new
 * anchored version linked to the objection) or reject it with a reason, before a deadline.
 *
 * On chain: the target (an attestation uid, or a record's category and id and the version
 * objected to), the owner department, the subject's address, a SALTED commitment to the reason
 * (`keccak256(salt || utf8(text))`, salt 32 random bytes) and the deadline. The reason text,
 * and the text of a rejection, go off chain through the owner's data node; never their plain
 * hash.
 *
 * One status view ({state}) answers for the SDK, the CLI and the audit: an Open objection past
 * its deadline reads Overdue.
 */
interface IObjectionRegistry {
    /// @notice What an objection is about.
    enum TargetKind {
        None,
        Attestation,
        Record
    }

    /// @notice Where an objection stands. Overdue is Open past its deadline (computed, not stored).
    enum ObjectionState {
        None,
        Open,
        Overdue,
        Upheld,
        Rejected,
        Withdrawn
    }

    /// @notice The attestation objected to, as its {IAttestationRegistry-Attested} event states it
    /// (the subject is the citizen filing; the issue time is read from the registry).
    struct AttestationRef {
        bytes32 uid;
        bytes32 schema;
        address attester;
        bytes32 department;
        bytes32 dataHash;
        uint64 expiry;
        bytes32 refUID;
    }

    /// @notice What is stored of an objection.
    struct Objection {
        address subject;
        TargetKind kind;
        ObjectionState status; // Open, Upheld, Rejected or Withdrawn (never Overdue)
        uint40 filedAt;
        uint40 deadline;
        uint32 version; // record: the version objected to
        uint32 correctedVersion; // record upheld: the new version that corrects it
        bytes32 owner; // the department that decides
        bytes32 target; // attestation uid, or record id
        bytes32 category; // record: its category (zero for an attestation)
    }

    /// @notice `caller` is neither the owner of identity `subject` nor her valid agent delegate
    /// (a delegate of a previous owner epoch is not valid).
    error ObjectionUnauthorizedFiler(address subject, address caller);
    /// @notice Attestation `uid` is not about `subject` with the stated fields.
    error ObjectionNotSubject(bytes32 uid, address subject);
    /// @notice The target does not exist (an attestation revoked or never made; a record with no
    /// single anchor; a category not in the catalog).
    error ObjectionTargetNotFound(bytes32 target);
    /// @notice The reason commitment is zero.
    error ObjectionZeroCommitment();
    /// @notice An identical objection (same subject, target and commitment) exists.
    error ObjectionExists(bytes32 id);
    /// @notice No objection has this id.
    error ObjectionUnknown(bytes32 id);
    /// @notice Objection `id` is `status`, not Open: it was decided or withdrawn already.
    error ObjectionNotOpen(bytes32 id, ObjectionState status);
    /// @notice Signer `account` acts for department `current` (zero: none), not for `owner`,
    /// the department that owns the target and decides.
    error ObjectionWrongDepartment(address account, bytes32 owner, bytes32 current);
    /// @notice `account` is not an APPROVER of `owner` now.
    error ObjectionNotApprover(address account, bytes32 owner);
    /// @notice The owner department `owner` is not Active.
    error ObjectionDepartmentInactive(bytes32 owner);
    /// @notice Attestation `uid` is still on record: revoke it before upholding the objection.
    error ObjectionNotRevoked(bytes32 uid);
    /// @notice Version `version` is not a correction of the record: it must be above the
    /// version objected to (`objected`) and anchored (latest is `latest`).
    error ObjectionNotCorrected(bytes32 recordId, uint32 version, uint32 objected, uint32 latest);
    /// @notice A decision carries `given` signer entries (signers and signatures of equal
    /// count); exactly `required` ({SIGNATURES}) are needed.
    error ObjectionInsufficientSignatures(uint256 given, uint256 required);
    /// @notice Signer `signer` is not above `previous`: a decision's signers must be strictly
    /// ascending (no signer counted twice).
    error ObjectionSignerOrder(address signer, address previous);
    /// @notice Only the council may set decision periods.
    error ObjectionUnauthorizedCouncil(address caller);
    /// @notice A decision period must be zero (the default) or from {MIN_PERIOD} to {MAX_PERIOD}.
    error ObjectionInvalidPeriod(uint32 period);
    /// @notice A department's decision threshold must be zero (the default, {SIGNATURES}) or
    /// from 1 to {MAX_SIGNATURES}.
    error ObjectionInvalidThreshold(uint256 signatures);

    /// @notice `sender` (the subject or her agent) filed objection `id` about `subject` to `target`
    /// (attestation uid, or record id of `category` at `version`), owned by `owner`, with the
    /// salted `reasonCommitment`; it is due by `deadline`.
    event ObjectionFiled(
        bytes32 indexed id,
        address indexed subject,
        bytes32 indexed owner,
        TargetKind kind,
        bytes32 target,
        bytes32 category,
        uint32 version,
        bytes32 reasonCommitment,
        uint64 deadline,
        address sender
    );

    /// @notice `signers`, APPROVERs of `owner`, upheld objection `id` (`sender` relayed their
    /// signatures); for a record, `correctedVersion` is the version that corrects it (zero for an
    /// attestation, now revoked).
    event ObjectionUpheld(
        bytes32 indexed id, bytes32 indexed owner, uint32 correctedVersion, address sender, address[] signers
    );

    /// @notice `signers`, APPROVERs of `owner`, rejected objection `id` with the salted
    /// `reasonCommitment` (the text goes to the citizen off chain); `sender` relayed it.
    event ObjectionRejected(
        bytes32 indexed id, bytes32 indexed owner, bytes32 reasonCommitment, address sender, address[] signers
    );

    /// @notice `sender` (the subject or her agent) withdrew objection `id`.
    event ObjectionWithdrawn(bytes32 indexed id, address indexed subject, address sender);

    /// @notice The council set the decision period of schema or category `key` (zero: default).
    event ObjectionPeriodSet(bytes32 indexed key, uint32 period, address sender);

    /// @notice The council set how many approvers of `department` sign each of its decisions
    /// (`signatures`; zero: the default {SIGNATURES}).
    event ObjectionThresholdSet(bytes32 indexed department, uint256 signatures, address sender);

    /**
     * @notice Files an objection of `subject` to attestation `a.uid`.
     * @param reasonCommitment `keccak256(salt || utf8(reason))`, salt 32 random bytes
     * @return id the objection's id ({objectionId})
     *
     * Requirements: the caller is the owner of `subject` or her valid agent delegate (re-checked
     * now); the attestation is on record (not revoked) and its uid recomputed from `a`, `subject`
     * and its issue time is `a.uid`; `reasonCommitment` is not zero; no identical objection.
     * The deadline is now + the period of the attestation's schema ({periodOf}).
     *
     * Emits {ObjectionFiled}.
     */
    function fileAttestationObjection(address subject, AttestationRef calldata a, bytes32 reasonCommitment)
        external
        returns (bytes32 id);

    /**
     * @notice Files an objection of `subject` to record `recordId` of `category` at its latest
     * single-anchored version. The chain cannot see a record's subject (it is inside the salted
     * record hash): the owner's data node checks it when it takes the reason.
     *
     * Requirements: the caller is the owner of `subject` or her valid agent delegate; the
     * category is in the catalog and the record has a single anchor; `reasonCommitment` is not
     * zero; no identical objection. The deadline is now + the category's period.
     *
     * Emits {ObjectionFiled}.
     */
    function fileRecordObjection(address subject, bytes32 category, bytes32 recordId, bytes32 reasonCommitment)
        external
        returns (bytes32 id);

    /**
     * @notice Upholds objection `id` with {SIGNATURES} approvers' signatures of
     * `ObjectionDecision(id, true, correctedVersion, 0, signer, deadline)`. An attestation must
     * already be revoked (by the issuing department, {IAttestationRegistry-revoke}) and
     * `correctedVersion` is zero; a record must have a new anchored version `correctedVersion`
     * above the one objected to, which the objection now links. Anyone may relay.
     *
     * Requirements: the objection is Open (overdue included); `deadline` has not passed;
     * exactly {SIGNATURES} signers, strictly ascending, each an APPROVER of the owner
     * department, which is Active, now; each signature is its signer's (EOA or ERC-1271).
     *
     * Emits {ObjectionUpheld}.
     */
    function uphold(
        bytes32 id,
        uint32 correctedVersion,
        uint256 deadline,
        address[] calldata signers,
        bytes[] calldata signatures
    ) external;

    /**
     * @notice Rejects objection `id` with the salted commitment to the reason given, signed
     * as `ObjectionDecision(id, false, 0, reasonCommitment, signer, deadline)`.
     *
     * Requirements: as {uphold}; `reasonCommitment` is not zero.
     *
     * Emits {ObjectionRejected}.
     */
    function reject(
        bytes32 id,
        bytes32 reasonCommitment,
        uint256 deadline,
        address[] calldata signers,
        bytes[] calldata signatures
    ) external;

    /**
     * @notice Withdraws objection `id`.
     *
     * Requirements: the objection is Open; the caller is the owner of its subject or her valid
     * agent delegate now.
     *
     * Emits {ObjectionWithdrawn}.
     */
    function withdraw(bytes32 id) external;

    /**
     * @notice Council: sets the decision period of a schema or category `key`; zero restores the
     * default ({DEFAULT_PERIOD}). Applies to objections filed afterwards.
     *
     * Requirements: the caller is the department registry's council; `period` is zero or from
     * {MIN_PERIOD} to {MAX_PERIOD}.
     *
     * Emits {ObjectionPeriodSet}.
     */
    function setPeriod(bytes32 key, uint32 period) external;

    /**
     * @notice Council: sets how many distinct active APPROVERs of `department` sign each
     * decision of the objections it owns; zero restores the default ({SIGNATURES}). Applies to
     * decisions relayed afterwards, open objections included.
     *
     * Requirements: the caller is the department registry's council; `signatures` is zero or
     * from 1 to {MAX_SIGNATURES}.
     *
     * Emits {ObjectionThresholdSet}.
     */
    function setThreshold(bytes32 department, uint256 signatures) external;

    /// @notice Where objection `id` stands; the one status view every client asks.
    function state(bytes32 id) external view returns (ObjectionState);

    /// @notice The stored objection (all zero if none).
    function objectionOf(bytes32 id) external view returns (Objection memory);

    /// @notice The id of an objection: `keccak256(abi.encode(subject, kind, category, target,
    /// reasonCommitment))`.
    function objectionId(address subject, TargetKind kind, bytes32 category, bytes32 target, bytes32 reasonCommitment)
        external
        pure
        returns (bytes32);

    /// @notice The EIP-712 digest `signer` signs to decide objection `id` (see {uphold}, {reject}).
    function decisionHash(
        bytes32 id,
        bool upheld,
        uint32 correctedVersion,
        bytes32 reasonCommitment,
        address signer,
        uint256 deadline
    ) external view returns (bytes32);

    /// @notice How many distinct approvers of an owner department sign each decision when the
    /// council set no threshold for it ({thresholdOf}).
    function SIGNATURES() external view returns (uint256);

    /// @notice The highest settable threshold: 16.
    function MAX_SIGNATURES() external view returns (uint256);

    /// @notice How many distinct approvers of `department` sign each decision of its objections:
    /// its threshold set by the council, else {SIGNATURES}.
    function thresholdOf(bytes32 department) external view returns (uint256);

    /// @notice The decision period for schema or category `key` (the default if none is set).
    function periodOf(bytes32 key) external view returns (uint32);

    /// @notice The decision period when none is set: 15 days.
    function DEFAULT_PERIOD() external view returns (uint32);

    /// @notice The shortest settable period: 1 day.
    function MIN_PERIOD() external view returns (uint32);

    /// @notice The longest settable period: 90 days.
    function MAX_PERIOD() external view returns (uint32);
}
