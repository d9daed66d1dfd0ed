// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title ICouncil
 * @notice The platform council (the Big Data Bureau and the founding departments' keys): an
 * M-of-N multisig whose proposals call other contracts — the department registry's council-only
 * functions (admit, suspend, reinstate, retire, replaceAdmin, removeMemberByCouncil,
 * markCompromised) — or the council itself (members, threshold, cancellations). Members approve
 * on chain or by EIP-712 signatures collected off chain in any order (each (member, proposal)
 * pair counts once); a proposal expires, may be cancelled, and executes once, when enough
 * members with a voting seat approved it.
 *
 * A seat votes only while its key is an ADMIN of an Active department in the department
 * registry the council governs: a key of a suspended or retired department, or an admin key the
 * council replaced, keeps no vote. This is re-checked whenever an approval is used — when
 * proposing, approving, and again when the approvals are counted at execution.
 *
 * A signed approval names its signer and the signer's membership generation, so a signature
 * made before its signer left the council never counts after the key rejoins. A proposal needs
 * the larger of the threshold when it was proposed and the current threshold: lowering the
 * threshold never revives a proposal the council let lie.
 *
 * Members and threshold are set in the constructor; afterwards only the council itself, through
 * a proposal, can change them. The deployer binds the department registry once
 * ({bindRegistry}); until then nothing can be proposed, approved or executed.
 */
interface ICouncil {
    /// @notice A proposal as readers see it.
    struct ProposalView {
        address target;
        uint64 expiry;
        bool executed;
        address proposer;
        bytes data;
        uint256 approvals;
        bool cancelled;
        uint256 threshold;
    }

    /// @notice A member, target or signer must not be the zero address.
    error CouncilZeroAddress();
    /// @notice `account` is a council member already (or named twice).
    error CouncilAlreadyMember(address account);
    /// @notice The council has {MAX_MEMBERS} members already.
    error CouncilTooManyMembers(uint256 max);
    /// @notice `account` is not a council member.
    error CouncilNotMember(address account);
    /// @notice The threshold must be between 1 and the number of members.
    error CouncilInvalidThreshold(uint256 threshold, uint256 members);
    /// @notice Only the council itself, through an executed proposal, may do this.
    error CouncilOnlySelf(address caller);
    /// @notice The expiry must be in the future and within {MAX_PROPOSAL_LIFETIME}.
    error CouncilInvalidExpiry(uint64 expiry);
    /// @notice No proposal has this id.
    error CouncilUnknownProposal(bytes32 id);
    /// @notice The proposal expired at `expiry`.
    error CouncilProposalExpired(bytes32 id, uint64 expiry);
    /// @notice `member` approved this proposal already.
    error CouncilAlreadyApproved(bytes32 id, address member);
    /// @notice The proposal was executed already.
    error CouncilAlreadyExecuted(bytes32 id);
    /// @notice The proposal has `approvals` of the `threshold` it needs.
    error CouncilThresholdNotMet(bytes32 id, uint256 approvals, uint256 threshold);
    /// @notice `member` holds no voting seat now: it is not an ADMIN of an Active department.
    error CouncilSeatInactive(address member);
    /// @notice `member` withdrew its approval of `id`; its signed approvals of `id` no longer
    /// count (it may approve again on chain with {approve}).
    error CouncilApprovalWithdrawn(bytes32 id, address member);
    /// @notice `member` has no counted approval of `id` to withdraw.
    error CouncilNotApproved(bytes32 id, address member);
    /// @notice The proposal was cancelled.
    error CouncilProposalCancelled(bytes32 id);
    /// @notice Only the proposer (while it holds a voting seat) or the council may cancel `id`.
    error CouncilUnauthorizedCancel(bytes32 id, address caller);
    /// @notice Only the deployer binds the department registry, once.
    error CouncilUnauthorizedBinder(address caller);
    /// @notice The department registry is bound already (to `registry`).
    error CouncilRegistryAlreadyBound(address registry);
    /// @notice `registry` is not governed by this council (its `council()` is `council`).
    error CouncilRegistryMismatch(address registry, address council);
    /// @notice No department registry is bound yet: no seat can vote.
    error CouncilRegistryNotBound();
    /// @notice The signers and signatures lists differ in length.
    error CouncilLengthMismatch(uint256 signers, uint256 signatures);

    /// @notice `member` joined the council.
    event CouncilMemberAdded(address indexed member);
    /// @notice `member` left the council.
    event CouncilMemberRemoved(address indexed member);
    /// @notice The number of approvals a proposal needs changed.
    event CouncilThresholdChanged(uint256 previous, uint256 threshold);
    /// @notice `proposer` proposed calling `target` with `data`, until `expiry`.
    event ProposalCreated(
        bytes32 indexed id, address indexed proposer, address indexed target, bytes data, uint64 expiry
    );
    /// @notice `member` approved proposal `id` (on chain or by signature).
    event ProposalApproved(bytes32 indexed id, address indexed member);
    /// @notice Proposal `id` was executed by `executor` with `approvals` current approvals.
    event ProposalExecuted(bytes32 indexed id, address indexed executor, uint256 approvals);
    /// @notice Proposal `id` was cancelled by `sender` (its proposer, or the council itself).
    event ProposalCancelled(bytes32 indexed id, address indexed sender);
    /// @notice `sender` withdrew its approval of proposal `id`.
    event ProposalApprovalWithdrawn(bytes32 indexed id, address indexed sender);
    /// @notice The deployer `sender` bound the department registry whose keys hold the seats.
    event CouncilRegistryBound(address indexed registry, address indexed sender);

    /**
     * @notice Proposes calling `target` with `data`; counts as the proposer's approval.
     * @return id the proposal's id
     *
     * Requirements: the caller is a member with a voting seat; `target` not zero; `expiry` in
     * the future and within {MAX_PROPOSAL_LIFETIME}. The proposal needs at least the current
     * threshold, whatever the threshold later becomes.
     *
     * Emits {ProposalCreated} and {ProposalApproved}.
     */
    function propose(address target, bytes calldata data, uint64 expiry) external returns (bytes32 id);

    /**
     * @notice The caller, a member with a voting seat, approves proposal `id`.
     *
     * Requirements: the proposal exists, is not executed, cancelled nor expired; not approved by
     * the caller yet.
     *
     * Emits {ProposalApproved}.
     */
    function approve(bytes32 id) external;

    /**
     * @notice Records approvals signed off chain (EIP-712 `CouncilApproval(bytes32 proposalId,
     * address target,bytes data,uint64 expiry,address member,uint256 generation)`, `generation`
     * being the signer's {generationOf} when it signed), in any order; anyone may submit them.
     *
     * Requirements: as {approve} for each signer; valid signatures of the signer's current
     * generation; the signer did not withdraw its approval of `id`; matching list lengths.
     *
     * Emits one {ProposalApproved} per signer.
     */
    function approveBySig(bytes32 id, address[] calldata signers, bytes[] calldata signatures) external;

    /**
     * @notice Executes proposal `id`; anyone may call. Reverts with the target's error if the call fails.
     *
     * Requirements: not executed, cancelled nor expired; at least max(threshold when proposed,
     * current threshold) members approved who hold a voting seat now.
     *
     * Emits {ProposalExecuted}.
     */
    function execute(bytes32 id) external returns (bytes memory result);

    /**
     * @notice Cancels open proposal `id`: by its proposer while it holds a voting seat, or by the
     * council itself (a proposal targeting the council). Emits {ProposalCancelled}.
     */
    function cancel(bytes32 id) external;

    /**
     * @notice The caller withdraws its approval of open proposal `id`; its signed approvals of `id`
     * stop counting too. Emits {ProposalApprovalWithdrawn}.
     */
    function withdrawApproval(bytes32 id) external;

    /**
     * @notice The deployer binds the department registry whose ADMIN keys hold the seats, once.
     *
     * Requirements: the caller deployed the council; no registry bound yet; `registry.council()`
     * is this council. Emits {CouncilRegistryBound}.
     */
    function bindRegistry(address registry) external;

    /// @notice The department registry whose ADMIN keys hold the seats (zero until bound).
    function registry() external view returns (address);

    /// @notice Whether `account` is a member whose vote counts now (an ADMIN of an Active department).
    function hasSeat(address account) external view returns (bool);

    /// @notice `account`'s membership generation (zero if not a member), named in signed approvals.
    function generationOf(address account) external view returns (uint256);

    /// @notice Council only (a proposal targeting the council): adds `account`. Emits {CouncilMemberAdded}.
    function addMember(address account) external;

    /// @notice Council only: removes `account`, keeping members >= threshold. Emits {CouncilMemberRemoved}.
    function removeMember(address account) external;

    /// @notice Council only: sets the threshold (1..members). Emits {CouncilThresholdChanged}.
    function changeThreshold(uint256 threshold) external;

    /// @notice Whether `account` is a council member.
    function isMember(address account) external view returns (bool);

    /// @notice The current members.
    function members() external view returns (address[] memory);

    /// @notice How many current members' approvals a proposal needs.
    function threshold() external view returns (uint256);

    /// @notice Proposal `id`, with its count of approvals that count now and the approvals it needs.
    function proposal(bytes32 id) external view returns (ProposalView memory);

    /// @notice Whether `member`'s approval of `id` counts (it approved while a member, still is,
    /// did not withdraw it, and holds a voting seat now).
    function hasApproved(bytes32 id, address member) external view returns (bool);
}
