// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IShareRequests} from "../interfaces/IShareRequests.sol";
import {ROLE_STAFF} from "../interfaces/IDepartmentRegistry.sol";
import {GrantStore} from "./GrantStore.sol";

/**
 * @title ShareRequests
 * @notice Requests for conditional data without a personal subject; approval by an APPROVER
 * of the owner creates the grant. Part of the AccessGrants deployment.
 */
abstract contract ShareRequests is GrantStore, IShareRequests {
    /// @dev A request's status and the key that filed it (re-checked when it is approved).
    struct Filed {
        RequestStatus status;
        address filer;
    }

    mapping(bytes32 requestId => Filed) private _requests;

    /// @inheritdoc IShareRequests
    function fileRequest(ShareRequest calldata request) external returns (bytes32 requestId) {
        if (!departments.isActiveMember(msg.sender, request.grantee, ROLE_STAFF)) {
            revert AccessGrantNotStaff(msg.sender, request.grantee);
        }
        _checkCategories(request.owner, request.categories, true);
        if (request.validFrom >= request.validUntil || request.validUntil <= block.timestamp) {
            revert AccessGrantInvalidWindow(request.validFrom, request.validUntil);
        }
        if (request.decisionDeadline <= block.timestamp) revert ShareRequestInvalidDeadline(request.decisionDeadline);
        requestId = keccak256(abi.encode(request));
        if (_requests[requestId].status != RequestStatus.None) revert ShareRequestExists(requestId);
        _requests[requestId] = Filed(RequestStatus.Pending, msg.sender);
        emit ShareRequestFiled(
            requestId,
            request.grantee,
            request.owner,
            request.categories,
            request.purposeHash,
            request.validFrom,
            request.validUntil,
            request.maxUses,
            request.decisionDeadline,
            request.nonce,
            msg.sender
        );
    }

    /// @inheritdoc IShareRequests
    function approveRequest(ShareRequest calldata request) external returns (bytes32 grantId) {
        bytes32 requestId = _decide(request, RequestStatus.Approved);
        // The filer's right is re-checked when the request takes effect, not only when filed.
        address filer = _requests[requestId].filer;
        if (!departments.isActiveMember(filer, request.grantee, ROLE_STAFF)) {
            revert AccessGrantNotStaff(filer, request.grantee);
        }
        _checkCategories(request.owner, request.categories, true);
        grantId = _createGrant(
            Grant({
                subject: address(0),
                grantee: request.grantee,
                owner: request.owner,
                categories: request.categories,
                purposeHash: request.purposeHash,
                basis: LegalBasis.OwnerApproval,
                validFrom: request.validFrom,
                validUntil: request.validUntil,
                maxUses: request.maxUses,
                nonce: uint256(requestId)
            }),
            msg.sender
        );
        emit ShareRequestApproved(requestId, request.grantee, request.owner, grantId, msg.sender);
    }

    /// @inheritdoc IShareRequests
    function rejectRequest(ShareRequest calldata request, bytes32 reasonHash) external {
        bytes32 requestId = _decide(request, RequestStatus.Rejected);
        emit ShareRequestRejected(requestId, request.grantee, request.owner, reasonHash, msg.sender);
    }

    /// @inheritdoc IShareRequests
    function requestIdOf(ShareRequest calldata request) external pure returns (bytes32) {
        return keccak256(abi.encode(request));
    }

    /// @inheritdoc IShareRequests
    function requestStatus(bytes32 requestId) external view returns (RequestStatus) {
        return _requests[requestId].status;
    }

    /// @dev Checks a decision may be taken now by the caller and records it.
    function _decide(ShareRequest calldata request, RequestStatus decision) private returns (bytes32 requestId) {
        requestId = keccak256(abi.encode(request));
        RequestStatus status = _requests[requestId].status;
        if (status == RequestStatus.None) revert ShareRequestUnknown(requestId);
        if (status != RequestStatus.Pending) revert ShareRequestDecided(requestId, status);
        if (block.timestamp > request.decisionDeadline) {
            revert ShareRequestExpired(requestId, request.decisionDeadline);
        }
        _requireApprover(msg.sender, request.owner);
        _requests[requestId].status = decision;
    }

    function _notConditional(bytes32 code) internal pure override {
        revert ShareRequestNotConditional(code);
    }
}
