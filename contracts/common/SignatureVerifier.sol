// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

/**
 * @title SignatureVerifier
 * @notice The one place where govchain checks EIP-712 signatures (EAS `EIP1271Verifier`,
 * OZ `ERC20Permit`). The domain is bound to the chain id and the verifying contract by OZ
 * `EIP712`; signatures go through OZ `SignatureChecker`, so EOAs (non-malleable ECDSA, low s
 * only) and ERC-1271 contract signers (a department's multisig) are both accepted.
 *
 * Each contract adds its typehashes and consumes a nonce or marks a message used inside its
 * own check, before calling {_verifySignature}.
 */
abstract contract SignatureVerifier is EIP712 {
    /// @notice The signed message's deadline has passed.
    error SignatureExpired(uint256 deadline);

    /// @notice The signature is not `signer`'s signature of this message.
    error SignatureInvalidSigner(address signer);

    /// @notice The EIP-712 domain separator of this contract on this chain.
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @notice The EIP-712 digest of a struct hash, so clients can check their encoding.
    function hashTypedData(bytes32 structHash) external view returns (bytes32) {
        return _hashTypedDataV4(structHash);
    }

    /**
     * @dev Reverts unless `deadline` has not passed and `signature` is `signer`'s signature of
     * the typed message with struct hash `structHash`.
     */
    function _verifySignature(address signer, bytes32 structHash, uint256 deadline, bytes calldata signature)
        internal
        view
    {
        if (block.timestamp > deadline) revert SignatureExpired(deadline);
        if (!SignatureChecker.isValidSignatureNow(signer, _hashTypedDataV4(structHash), signature)) {
            revert SignatureInvalidSigner(signer);
        }
    }
}
