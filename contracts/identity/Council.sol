// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";

import {SignatureVerifier} from "../common/SignatureVerifier.sol";
import {ICouncil} from "../interfaces/ICouncil.sol";
import {IDepartmentRegistry, ROLE_ADMIN} from "../interfaces/IDepartmentRegistry.sol";

/**
 * @title Council
 * @notice The platform council's M-of-N multisig. See {ICouncil}.
 *
 * Approvals are recorded with the member's generation (bumped each time a key joins), and counted
 * at execution over the current members whose key is an ADMIN of an Active department now
 * ({_hasSeat}, the one place that says whose vote counts): a removed member's approvals stop
 * counting, and do not come back if the key is added again; a suspended department's admin, or
 * a replaced admin key, counts for nothing.
 */
contract Council is ICouncil, SignatureVerifier {
    uint256 public constant MAX_MEMBERS = 32;
    uint64 public constant MAX_PROPOSAL_LIFETIME = 30 days;

    /// @notice `keccak256("CouncilApproval(bytes32 proposalId,address target,bytes data,uint64 expiry,address member,uint256 generation)")`
    bytes32 public constant APPROVAL_TYPEHASH = keccak256(
        "CouncilApproval(bytes32 proposalId,address target,bytes data,uint64 expiry,address member,uint256 generation)"
    );

    struct Proposal {
        // slot 0
        address target;
        uint64 expiry;
        bool executed;
        bool cancelled;
        uint16 threshold; // the threshold when proposed: the floor of what it needs
        // other slots
        address proposer;
        bytes data;
    }

    address private immutable _binder;
    IDepartmentRegistry private _registry;

    address[] private _members;
    mapping(address account => uint256 generation) private _generation; // non-zero while a member
    uint64 private _nextGeneration;
    uint256 private _threshold;
    uint256 private _proposalCount;

    mapping(bytes32 id => Proposal) private _proposals;
    mapping(bytes32 id => mapping(address member => uint256 generation)) private _approvals;
    /// @dev The generation in which a member withdrew its approval: its signatures then stop counting.
    mapping(bytes32 id => mapping(address member => uint256 generation)) private _withdrawn;

    modifier onlySelf() {
        if (msg.sender != address(this)) revert CouncilOnlySelf(msg.sender);
        _;
    }

    /**
     * @param members_ the founding members (the Big Data Bureau's and founding departments' keys)
     * @param threshold_ approvals a proposal needs, 1..members
     */
    constructor(address[] memory members_, uint256 threshold_) EIP712("Council", "1") {
        _binder = msg.sender;
        for (uint256 i = 0; i < members_.length; ++i) {
            _addMember(members_[i]);
        }
        _changeThreshold(threshold_);
    }

    // ---------------------------------------------------------------------------------------
    // Proposals
    // ---------------------------------------------------------------------------------------

    /// @inheritdoc ICouncil
    function bindRegistry(address registry_) external {
        if (msg.sender != _binder) revert CouncilUnauthorizedBinder(msg.sender);
        if (address(_registry) != address(0)) revert CouncilRegistryAlreadyBound(address(_registry));
        if (registry_ == address(0)) revert CouncilZeroAddress();
        address governedBy = IDepartmentRegistry(registry_).council();
        if (governedBy != address(this)) revert CouncilRegistryMismatch(registry_, governedBy);
        _registry = IDepartmentRegistry(registry_);
        emit CouncilRegistryBound(registry_, msg.sender);
    }

    /// @inheritdoc ICouncil
    function propose(address target, bytes calldata data, uint64 expiry) external returns (bytes32 id) {
        if (_generation[msg.sender] == 0) revert CouncilNotMember(msg.sender);
        if (target == address(0)) revert CouncilZeroAddress();
        if (expiry <= block.timestamp || expiry > block.timestamp + MAX_PROPOSAL_LIFETIME) {
            revert CouncilInvalidExpiry(expiry);
        }
        id = keccak256(abi.encode(block.chainid, address(this), ++_proposalCount, target, keccak256(data), expiry));
        // _threshold <= MAX_MEMBERS (32), so it fits.
        _proposals[id] = Proposal(target, expiry, false, false, uint16(_threshold), msg.sender, data);
        emit ProposalCreated(id, msg.sender, target, data, expiry);
        _approve(id, msg.sender);
    }

    /// @inheritdoc ICouncil
    function approve(bytes32 id) external {
        _checkOpen(id);
        _approve(id, msg.sender);
    }

    /// @inheritdoc ICouncil
    function approveBySig(bytes32 id, address[] calldata signers, bytes[] calldata signatures) external {
        if (signers.length != signatures.length) revert CouncilLengthMismatch(signers.length, signatures.length);
        Proposal storage p = _checkOpen(id);
        bytes32 dataHash = keccak256(p.data);
        for (uint256 i = 0; i < signers.length; ++i) {
            address signer = signers[i];
            // The signature names its signer's generation: one made before the signer left the
            // council does not verify once the key rejoins (a new generation).
            uint256 generation = _generation[signer];
            if (generation == 0) revert CouncilNotMember(signer);
            if (_withdrawn[id][signer] == generation) revert CouncilApprovalWithdrawn(id, signer);
            bytes32 structHash =
                keccak256(abi.encode(APPROVAL_TYPEHASH, id, p.target, dataHash, p.expiry, signer, generation));
            _verifySignature(signer, structHash, p.expiry, signatures[i]);
            _approve(id, signer);
        }
    }

    /// @inheritdoc ICouncil
    function execute(bytes32 id) external returns (bytes memory result) {
        Proposal storage p = _checkOpen(id);
        uint256 approvals = _countApprovals(id);
        uint256 needed = _needed(p);
        if (approvals < needed) revert CouncilThresholdNotMet(id, approvals, needed);
        p.executed = true;
        emit ProposalExecuted(id, msg.sender, approvals);
        result = Address.functionCall(p.target, p.data);
    }

    /// @inheritdoc ICouncil
    function cancel(bytes32 id) external {
        Proposal storage p = _checkOpen(id);
        if (msg.sender != address(this) && (msg.sender != p.proposer || !_hasSeat(msg.sender))) {
            revert CouncilUnauthorizedCancel(id, msg.sender);
        }
        p.cancelled = true;
        emit ProposalCancelled(id, msg.sender);
    }

    /// @inheritdoc ICouncil
    function withdrawApproval(bytes32 id) external {
        _checkOpen(id);
        uint256 generation = _generation[msg.sender];
        if (generation == 0 || _approvals[id][msg.sender] != generation) revert CouncilNotApproved(id, msg.sender);
        delete _approvals[id][msg.sender];
        _withdrawn[id][msg.sender] = generation;
        emit ProposalApprovalWithdrawn(id, msg.sender);
    }

    // ---------------------------------------------------------------------------------------
    // Membership (the council itself)
    // ---------------------------------------------------------------------------------------

    /// @inheritdoc ICouncil
    function addMember(address account) external onlySelf {
        _addMember(account);
    }

    /// @inheritdoc ICouncil
    function removeMember(address account) external onlySelf {
        if (_generation[account] == 0) revert CouncilNotMember(account);
        uint256 n = _members.length;
        if (n - 1 < _threshold) revert CouncilInvalidThreshold(_threshold, n - 1);
        for (uint256 i = 0; i < n; ++i) {
            if (_members[i] == account) {
                _members[i] = _members[n - 1];
                _members.pop();
                break;
            }
        }
        _generation[account] = 0;
        emit CouncilMemberRemoved(account);
    }

    /// @inheritdoc ICouncil
    function changeThreshold(uint256 threshold_) external onlySelf {
        _changeThreshold(threshold_);
    }

    // ---------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------

    /// @inheritdoc ICouncil
    function isMember(address account) external view returns (bool) {
        return _generation[account] != 0;
    }

    /// @inheritdoc ICouncil
    function hasSeat(address account) external view returns (bool) {
        return _generation[account] != 0 && address(_registry) != address(0) && _hasSeat(account);
    }

    /// @inheritdoc ICouncil
    function generationOf(address account) external view returns (uint256) {
        return _generation[account];
    }

    /// @inheritdoc ICouncil
    function registry() external view returns (address) {
        return address(_registry);
    }

    /// @inheritdoc ICouncil
    function members() external view returns (address[] memory) {
        return _members;
    }

    /// @inheritdoc ICouncil
    function threshold() external view returns (uint256) {
        return _threshold;
    }

    /// @inheritdoc ICouncil
    function proposal(bytes32 id) external view returns (ProposalView memory) {
        Proposal storage p = _proposals[id];
        if (p.target == address(0)) revert CouncilUnknownProposal(id);
        uint256 approvals = address(_registry) == address(0) ? 0 : _countApprovals(id);
        return ProposalView(p.target, p.expiry, p.executed, p.proposer, p.data, approvals, p.cancelled, _needed(p));
    }

    /// @inheritdoc ICouncil
    function hasApproved(bytes32 id, address member) public view returns (bool) {
        uint256 generation = _generation[member];
        return generation != 0 && _approvals[id][member] == generation && address(_registry) != address(0)
            && _hasSeat(member);
    }

    // ---------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------

    function _checkOpen(bytes32 id) private view returns (Proposal storage p) {
        p = _proposals[id];
        if (p.target == address(0)) revert CouncilUnknownProposal(id);
        if (p.executed) revert CouncilAlreadyExecuted(id);
        if (p.cancelled) revert CouncilProposalCancelled(id);
        if (block.timestamp >= p.expiry) revert CouncilProposalExpired(id, p.expiry);
    }

    /// @dev What proposal `p` needs: never fewer approvals than when it was proposed.
    function _needed(Proposal storage p) private view returns (uint256) {
        uint256 floor = p.threshold;
        return floor > _threshold ? floor : _threshold;
    }

    /// @dev The one rule of whose vote counts: a member key that is an ADMIN of an Active
    /// department now (reverts with {CouncilRegistryNotBound} before the registry is bound).
    function _hasSeat(address member) private view returns (bool) {
        IDepartmentRegistry reg = _registry;
        if (address(reg) == address(0)) revert CouncilRegistryNotBound();
        // slither-disable-next-line unused-return (a seat needs the ADMIN role and an Active department, not which one)
        (, uint8 roles, bool active) = reg.memberOf(member);
        return active && roles & ROLE_ADMIN != 0;
    }

    function _approve(bytes32 id, address member) private {
        uint256 generation = _generation[member];
        if (generation == 0) revert CouncilNotMember(member);
        if (!_hasSeat(member)) revert CouncilSeatInactive(member);
        if (_approvals[id][member] == generation) revert CouncilAlreadyApproved(id, member);
        _approvals[id][member] = generation;
        emit ProposalApproved(id, member);
    }

    function _countApprovals(bytes32 id) private view returns (uint256 count) {
        uint256 n = _members.length;
        for (uint256 i = 0; i < n; ++i) {
            address member = _members[i];
            uint256 generation = _generation[member];
            if (_approvals[id][member] == generation && _hasSeat(member)) ++count;
        }
    }

    function _addMember(address account) private {
        if (account == address(0)) revert CouncilZeroAddress();
        if (_generation[account] != 0) revert CouncilAlreadyMember(account);
        if (_members.length == MAX_MEMBERS) revert CouncilTooManyMembers(MAX_MEMBERS);
        _members.push(account);
        _generation[account] = ++_nextGeneration;
        emit CouncilMemberAdded(account);
    }

    function _changeThreshold(uint256 threshold_) private {
        if (threshold_ == 0 || threshold_ > _members.length) {
            revert CouncilInvalidThreshold(threshold_, _members.length);
        }
        emit CouncilThresholdChanged(_threshold, threshold_);
        _threshold = threshold_;
    }
}
