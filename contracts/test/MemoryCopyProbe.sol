// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Bytes} from "@openzeppelin/contracts/utils/Bytes.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

/// @notice Test only: exposes every OpenZeppelin function that copies memory with `mcopy` on
/// Cancun, so the tests can check the Paris build (compat/paris/: word-by-word
/// copies) gives the same bytes as the Cancun build for any input.
contract MemoryCopyProbe {
    function slice(bytes memory buffer, uint256 start, uint256 end) external pure returns (bytes memory) {
        return Bytes.slice(buffer, start, end);
    }

    function splice(bytes memory buffer, uint256 start, uint256 end) external pure returns (bytes memory) {
        return Bytes.splice(buffer, start, end);
    }

    /// @notice `replace` with the buffer as its own replacement: overlapping source and target.
    function replaceSelf(bytes memory buffer, uint256 pos, uint256 offset, uint256 length)
        external
        pure
        returns (bytes memory)
    {
        return Bytes.replace(buffer, pos, buffer, offset, length);
    }

    function replace(bytes memory buffer, uint256 pos, bytes memory replacement, uint256 offset, uint256 length)
        external
        pure
        returns (bytes memory)
    {
        return Bytes.replace(buffer, pos, replacement, offset, length);
    }

    function concat(bytes[] memory buffers) external pure returns (bytes memory) {
        return Bytes.concat(buffers);
    }

    function isValidERC1271SignatureNow(address signer, bytes32 hash, bytes memory signature)
        external
        view
        returns (bool)
    {
        return SignatureChecker.isValidERC1271SignatureNow(signer, hash, signature);
    }
}
