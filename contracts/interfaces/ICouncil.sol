// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title ICouncil
 * @notice The platform council (the Big Data Bureau and the founding departments' keys): an
 * M-of-N multisig whose proposals call other contracts — the department registry's council-only
 * functions (admit, suspend, reinstate, retire, replaceAdmin) — or the council itself (members
 * and threshold). Members approve on chain or by EIP-712 signatures collected off chain in any
 * order (each (member, proposal) pair counts once); a proposal expires, and executes once, when
 * at least `threshold` current members approved it.
 *
 * Members and threshold are set in the constructor; afterwards only the council itself, through
 * a proposal, can change them. There is no initializer to call again.
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
    /// @notice `member`'s signed approval of `id` was used before they left the council; a
    /// rejoined member approves again with {approve}.
    error CouncilSignatureReused(bytes32 id, address member);
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

    /**
     * @notice Proposes calling `target` with `data`; counts as the proposer's approval.
     * @return id the proposal's id
     *
     * Requirements: the caller is a member; `target` not zero; `expiry` in the future and
     * within {MAX_PROPOSAL_LIFETIME}.
     *
     * Emits {ProposalCreated} and {ProposalApproved}.
     */
    function propose(address target, bytes calldata data, uint64 expiry) external returns (bytes32 id);

    /**
     * @notice The caller, a member, approves proposal `id`.
     *
     * Requirements: the proposal exists, is not executed nor expired; not approved by the caller yet.
     *
     * Emits {ProposalApproved}.
     */
    function approve(bytes32 id) external;

    /**
     * @notice Records approvals signed off chain (EIP-712 `CouncilApproval(bytes32 proposalId,
     * address target,bytes data,uint64 expiry)`), in any order; anyone may submit them.
     *
     * Requirements: as {approve} for each signer; valid signatures; matching list lengths.
     *
     * Emits one {ProposalApproved} per signer.
     */
    function approveBySig(bytes32 id, address[] calldata signers, bytes[] calldata signatures) external;

    /**
     * @notice Executes proposal `id`; anyone may call. Reverts with the target's error if the call fails.
     *
     * Requirements: not executed, not expired; at least `threshold` current members approved.
     *
     * Emits {ProposalExecuted}.
     */
    function execute(bytes32 id) external returns (bytes memory result);

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

    /// @notice Proposal `id`, with its count of current members' approvals.
    function proposal(bytes32 id) external view returns (ProposalView memory);

    /// @notice Whether `member`'s approval of `id` counts (it approved while a member, and still is).
    function hasApproved(bytes32 id, address member) external view returns (bool);
}
