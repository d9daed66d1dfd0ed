// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IDepartmentRegistry} from "./IDepartmentRegistry.sol";

/**
 * @title IRuleRegistry
 * @notice Rules that decide a case step without signatures (秒批, trust-based approval).
 *
 * A rule of a department is a list of {Requirement}s, each naming an attestation the case's
 * subject must hold: its schema, the departments that may have issued it, and its maximum age.
 * A value condition ("income below the local threshold") is attested by the department that
 * owns the value as its own schema, so no value ever goes on chain.
 *
 * A rule line is named `(department, name)`; its id is `keccak256(abi.encode(department,
 * name))`. Each registration makes the next version (1, 2, ...) the line's current one; a
 * retirement ends the version in force (the one its approvers saw or a later one) and takes
 * the next number itself (so a change signed before it cannot be relayed after it); a RULE step of a case names the line, and the version
 * current when the step is decided is the one recorded. Registration and retirement carry
 * {SIGNATURES} EIP-712 signatures (`RegisterRule` / `RetireRule`, domain bound to this contract
 * and chain, the version as the message's unique id, the signer's own address, a deadline) of
 * distinct active APPROVERs of the department, checked when relayed (EOAs and ERC-1271 wallets,
 * OpenZeppelin `SignatureChecker`). Each message names its signer (R2-5), so one approver's
 * signature never also counts for an approver wallet that accepts her signatures. Storage keeps the requirements' hash; they are in {RuleRegistered} and
 * passed back as calldata by whoever triggers a decision.
 */
interface IRuleRegistry {
    /**
     * @notice An attestation the subject must hold: of `schema`, issued by one of `departments`
     * (at least one; the department must be Active when the rule decides), at most `maxAge`
     * seconds old (non-zero), valid and unrevoked.
     */
    struct Requirement {
        bytes32 schema;
        uint64 maxAge;
        bytes32[] departments;
    }

    /**
     * @notice The preimage of an attestation's uid (see {IAttestationRegistry}): the uid is
     * `keccak256(abi.encode(schema, subject, attester, department, dataHash, expiry, refUID,
     * issuedAt))`, so what a rule checks (subject, schema, issuer, age) is bound to the uid.
     */
    struct Evidence {
        bytes32 schema;
        address subject;
        address attester;
        bytes32 department;
        bytes32 dataHash;
        uint64 expiry;
        bytes32 refUID;
        uint40 issuedAt;
    }

    /// @notice A rule line's stored state: its department, current version (after a retirement,
    /// the retired version plus 1) and whether it is in force.
    struct RuleView {
        bytes32 department;
        bytes32 requirementsHash;
        uint32 version;
        bool active;
    }

    /**
     * @notice Version `version` of rule `ruleId` (`name` of `department`) is in force with
     * `requirements` (stored as `keccak256(abi.encode(requirements))`); `signers` are the
     * approvers whose signatures counted, `sender` relayed them.
     */
    event RuleRegistered(
        bytes32 indexed ruleId,
        bytes32 indexed department,
        uint32 version,
        bytes32 name,
        Requirement[] requirements,
        address sender,
        address[] signers
    );

    /// @notice Version `version` of rule `ruleId` was retired by `signers`, relayed by `sender`.
    event RuleRetired(
        bytes32 indexed ruleId, bytes32 indexed department, uint32 version, address sender, address[] signers
    );

    /// @notice A rule has 1 to {MAX_REQUIREMENTS} requirements, not `count`.
    error RuleInvalidRequirementCount(uint256 count);
    /// @notice Requirement `index` has no schema, no department, more than {MAX_DEPARTMENTS}, or a zero maximum age.
    error RuleInvalidRequirement(uint256 index);
    /// @notice A rule needs a department and a non-zero name.
    error RuleInvalidName();
    /// @notice `provided` signatures (and signers) for a rule change that needs `required`.
    error RuleInsufficientSignatures(uint256 provided, uint256 required);
    /// @notice `signer` is not above `previous`: a duplicate or unsorted signer.
    error RuleSignerOrder(address signer, address previous);
    /// @notice `signer` is not an active APPROVER of the Active department `department`.
    error RuleNotApprover(address signer, bytes32 department);
    /// @notice Rule `ruleId` has no version in force (never registered, or retired).
    error RuleNotInForce(bytes32 ruleId);
    /// @notice A retirement of rule `ruleId` signed seeing version `version`, which is not a
    /// version registered since the line's last retirement (already used, stale or ahead).
    error RuleRetirementVersion(bytes32 ruleId, uint32 version);
    /// @notice The requirements passed are not those of rule `ruleId`'s current version.
    error RuleRequirementsMismatch(bytes32 ruleId);
    /// @notice The rule's department `department` is not Active (`status`): its rules decide nothing.
    error RuleDepartmentNotActive(bytes32 department, IDepartmentRegistry.DepartmentStatus status);
    /// @notice `given` attestations for a rule of `required` requirements (one per requirement, in order).
    error RuleEvidenceCount(uint256 given, uint256 required);
    /// @notice Attestation `uid` is about `subject`, not the case's subject.
    error RuleWrongSubject(bytes32 uid, address subject);
    /// @notice Attestation `uid` is of schema `schema`, not the requirement's `required`.
    error RuleWrongSchema(bytes32 uid, bytes32 schema, bytes32 required);
    /// @notice Attestation `uid` was issued by `department`, which the requirement does not name.
    error RuleIssuerNotNamed(bytes32 uid, bytes32 department);
    /// @notice Attestation `uid`'s issuer `department` is not Active (`status`).
    error RuleIssuerNotActive(bytes32 uid, bytes32 department, IDepartmentRegistry.DepartmentStatus status);
    /**
     * @notice Attestation `uid` was made by `attester`, a key the council marked compromised at
     * `since`: a theft may predate the marking, so none of its statements decides a rule (its
     * department re-attests what was true).
     */
    error RuleAttesterCompromised(bytes32 uid, address attester, uint64 since);
    /// @notice Attestation `uid` expired at `expiry`.
    error RuleAttestationExpired(bytes32 uid, uint64 expiry);
    /// @notice Attestation `uid` does not exist: revoked, or never issued with these contents.
    error RuleAttestationNotFound(bytes32 uid);
    /// @notice Attestation `uid`, issued at `issuedAt`, is older than the requirement's `maxAge` seconds.
    error RuleAttestationTooOld(bytes32 uid, uint40 issuedAt, uint64 maxAge);

    /**
     * @notice Registers `requirements` as the next version of rule `name` of `department`.
     * @return ruleId the rule line's id
     * @return version the new version (the previous one, if any, is replaced)
     *
     * Requirements: a department and a name; 1 to {MAX_REQUIREMENTS} requirements, each with a
     * schema, 1 to {MAX_DEPARTMENTS} departments and a non-zero maximum age; `signers` strictly
     * ascending, at least {SIGNATURES} of them, each an active APPROVER of `department` (Active)
     * whose signature of {registerHash} for that version, `deadline` and herself as `signer` is
     * valid (EOA, or ERC-1271 for a wallet: the message names the wallet); the deadline has not
     * passed.
     *
     * Emits {RuleRegistered}.
     */
    function register(
        bytes32 department,
        bytes32 name,
        Requirement[] calldata requirements,
        uint256 deadline,
        address[] calldata signers,
        bytes[] calldata signatures
    ) external returns (bytes32 ruleId, uint32 version);

    /**
     * @notice Retires the version in force of rule `name` of `department`: steps naming the rule
     * are no longer decided by it (until a new version is registered). The approvers sign the
     * retirement seeing version `version` in force; it retires whatever version is in force
     * when relayed, `version` or one registered after it (R-3: a registration signed earlier
     * and relayed first does not void it), and applies once: `version` must be newer than the
     * line's last retirement. The retirement takes a version number of its own: the line's
     * version becomes the retired one plus 1, so a registration signed before the retirement
     * (for that number) can no longer be relayed, and the next registration is signed for the
     * number after it.
     *
     * Requirements: the rule is in force (`RuleNotInForce`); `version` was registered since
     * the line's last retirement and is at most the current one (`RuleRetirementVersion`);
     * signatures as for {register}, of {retireHash} for `version`.
     *
     * Emits {RuleRetired} (with the version retired).
     */
    function retire(
        bytes32 department,
        bytes32 name,
        uint32 version,
        uint256 deadline,
        address[] calldata signers,
        bytes[] calldata signatures
    ) external;

    /// @notice The stored state of rule line `ruleId` (all zero if never registered).
    function ruleOf(bytes32 ruleId) external view returns (RuleView memory);

    /// @notice `keccak256(abi.encode(department, name))`, the id of rule line `name` of `department`.
    function ruleIdOf(bytes32 department, bytes32 name) external pure returns (bytes32);

    /// @notice `keccak256(abi.encode(requirements))`, what a rule stores of its requirements.
    function requirementsHashOf(Requirement[] calldata requirements) external pure returns (bytes32);

    /**
     * @notice Checks that `evidence` satisfies the current version of rule `ruleId` for
     * `subject` now (as a RULE step would); reverts with the reason otherwise. An attestation a
     * case issued (attester: the approval module) is judged here as any other; a RULE step
     * also refuses it when a key that decided its case is marked compromised, which only the
     * approval module can tell (`CaseApprovals.decidersHash` and the proof's `CaseDeciders`).
     * @return version the rule version that decides
     * @return uids the attestation uids used, one per requirement
     */
    function check(bytes32 ruleId, address subject, Requirement[] calldata requirements, Evidence[] calldata evidence)
        external
        view
        returns (uint32 version, bytes32[] memory uids);

    /**
     * @notice The EIP-712 digest `signer` signs to register `version` of rule `name` of
     * `department`: each approver's message names her (an ERC-1271 wallet's, the wallet).
     */
    function registerHash(
        bytes32 department,
        bytes32 name,
        uint32 version,
        bytes32 requirementsHash,
        address signer,
        uint256 deadline
    ) external view returns (bytes32);

    /// @notice The EIP-712 digest `signer` signs to retire `version` of rule `name` of `department`.
    function retireHash(bytes32 department, bytes32 name, uint32 version, address signer, uint256 deadline)
        external
        view
        returns (bytes32);

    /// @notice How many distinct approvers' signatures a rule change needs (fixed at deployment).
    function SIGNATURES() external view returns (uint256);

    /// @notice The most requirements a rule has.
    function MAX_REQUIREMENTS() external view returns (uint256);

    /// @notice The most departments a requirement names.
    function MAX_DEPARTMENTS() external view returns (uint256);
}
