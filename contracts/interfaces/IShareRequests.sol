// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title IShareRequests
 * @notice Sharing requests for conditional data without a personal subject (有条件共享): the
 * grantee department files a request; an APPROVER of the owner department approves it (which
 * creates an `OwnerApproval` grant with subject zero) or rejects it, before its decision
 * deadline. Like grants, a request's terms live in calldata and events; its id is
 * `keccak256(abi.encode(request))`.
 */
interface IShareRequests {
    enum RequestStatus {
        None,
        Pending,
        Approved,
        Rejected
    }

    /// @notice Terms of a request; `nonce` tells identical requests apart.
    struct ShareRequest {
        bytes32 grantee;
        bytes32 owner;
        bytes32[] categories;
        bytes32 purposeHash;
        uint40 validFrom;
        uint40 validUntil;
        uint32 maxUses;
        uint40 decisionDeadline;
        uint256 nonce;
    }

    /// @notice `category` is not Conditional: Unconditional needs no request, NotShared is never shared.
    error ShareRequestNotConditional(bytes32 category);
    /// @notice The decision deadline is not in the future.
    error ShareRequestInvalidDeadline(uint40 decisionDeadline);
    /// @notice A request with these terms was filed already.
    error ShareRequestExists(bytes32 requestId);
    /// @notice No request has these terms.
    error ShareRequestUnknown(bytes32 requestId);
    /// @notice The request was decided already.
    error ShareRequestDecided(bytes32 requestId, RequestStatus status);
    /// @notice The decision deadline has passed.
    error ShareRequestExpired(bytes32 requestId, uint40 decisionDeadline);

    /// @notice `requester`, a member of `grantee`, filed a request to `owner`.
    event ShareRequestFiled(
        bytes32 indexed requestId,
        bytes32 indexed grantee,
        bytes32 indexed owner,
        bytes32[] categories,
        bytes32 purposeHash,
        uint40 validFrom,
        uint40 validUntil,
        uint32 maxUses,
        uint40 decisionDeadline,
        uint256 nonce,
        address requester
    );

    /// @notice `approver` of `owner` approved the request, creating grant `grantId`.
    event ShareRequestApproved(
        bytes32 indexed requestId, bytes32 indexed grantee, bytes32 indexed owner, bytes32 grantId, address approver
    );

    /// @notice `approver` of `owner` rejected the request for the reason hashed in `reasonHash`.
    event ShareRequestRejected(
        bytes32 indexed requestId, bytes32 indexed grantee, bytes32 indexed owner, bytes32 reasonHash, address approver
    );

    /**
     * @notice Files a sharing request.
     *
     * Requirements: the caller is an active STAFF of `request.grantee`; categories non-empty,
     * each a Conditional category of `request.owner`; valid window; decision deadline in the
     * future; request new.
     *
     * Emits {ShareRequestFiled}.
     */
    function fileRequest(ShareRequest calldata request) external returns (bytes32 requestId);

    /**
     * @notice Approves a pending request, creating its grant: subject zero, basis
     * OwnerApproval, nonce = uint256(requestId), the approver as grantor.
     *
     * Requirements: the request is Pending; its deadline has not passed; the caller is an
     * active APPROVER of `request.owner`; the key that filed the request is still an active
     * STAFF member of `request.grantee` (else IAccessGrants.AccessGrantNotStaff naming the
     * filer: a request of a key that lapsed, e.g. was marked compromised, never takes effect);
     * its categories are still Conditional and its window still open; the grantee is Active.
     *
     * Emits {ShareRequestApproved} and IAccessGrants.GrantCreated.
     */
    function approveRequest(ShareRequest calldata request) external returns (bytes32 grantId);

    /**
     * @notice Rejects a pending request.
     *
     * Requirements: the request is Pending; its deadline has not passed; the caller is an
     * active APPROVER of `request.owner`.
     *
     * Emits {ShareRequestRejected}.
     */
    function rejectRequest(ShareRequest calldata request, bytes32 reasonHash) external;

    /// @notice The id of a request with these terms.
    function requestIdOf(ShareRequest calldata request) external pure returns (bytes32);

    /// @notice The status of request `requestId` (Pending also after its deadline lapsed).
    function requestStatus(bytes32 requestId) external view returns (RequestStatus);
}
