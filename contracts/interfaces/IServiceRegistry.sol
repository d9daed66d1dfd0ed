// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title IServiceRegistry
 * @notice Services a department offers without application (免申即享): a service binds one of
 * the department's own rule lines (who qualifies) to the benefit it grants (the attestation
 * schema a case decided by that rule issues). An offer is accepted only as a case whose terms
 * are exactly the service's (one RULE step of its rule, its benefit schema, its department),
 * so whoever relays an acceptance cannot invent a benefit or pair a benefit with another rule.
 * A service in force is also the only thing that lets a RULE step of its rule carry the
 * department's authority to issue its benefit in any case ({servicesInForce}), and its approvers
 * fix how long such a benefit stays valid (`validFor`): the STAFF member who opens the case
 * cannot issue it for longer, nor link it to another attestation.
 *
 * A service line is named `(department, name)`; its id is `keccak256(abi.encode(SERVICE_TAG,
 * department, name))`. Registration makes the next version (1, 2, ...) current and in force;
 * retirement ends it. Both carry {IRuleRegistry-SIGNATURES} EIP-712 signatures
 * (`RegisterService` / `RetireService`, the version as the message's unique id, the signer's own
 * address, a deadline) of distinct active APPROVERs of the department, checked when relayed, as
 * for rules.
 */
interface IServiceRegistry {
    /**
     * @notice What a department's approvers sign to register a service (with its version and a
     * deadline): service line `name` of `department` grants `benefit` to those rule line `ruleId`
     * decides for, valid for at most `validFor` seconds when the rule alone decided (0: no limit).
     */
    struct ServiceTerms {
        bytes32 department;
        bytes32 name;
        bytes32 ruleId;
        bytes32 benefit;
        uint64 validFor;
    }

    /// @notice A service line's stored state.
    struct ServiceView {
        bytes32 department;
        bytes32 ruleId;
        bytes32 benefit;
        /// @dev The longest a benefit issued on the rule's authority alone stays valid, in seconds (0: no limit).
        uint64 validFor;
        uint32 version;
        bool active;
    }

    /**
     * @notice Version `version` of service `serviceId` (`name` of `department`) grants `benefit`
     * to those rule `ruleId` decides for, valid for at most `validFor` seconds (0: no limit);
     * `signers` signed, `sender` relayed.
     */
    event ServiceRegistered(
        bytes32 indexed serviceId,
        bytes32 indexed department,
        uint32 version,
        bytes32 name,
        bytes32 ruleId,
        bytes32 benefit,
        uint64 validFor,
        address sender,
        address[] signers
    );

    /// @notice Version `version` of service `serviceId` was retired by `signers`, relayed by `sender`.
    event ServiceRetired(
        bytes32 indexed serviceId, bytes32 indexed department, uint32 version, address sender, address[] signers
    );

    /// @notice A service needs a department, a non-zero name, a non-zero benefit schema and a `validFor` of at most {MAX_VALIDITY}.
    error ServiceInvalid();
    /// @notice Rule `ruleId` is not a rule line of `department`: a service grants on its own department's rule only.
    error ServiceRuleNotOwned(bytes32 ruleId, bytes32 department);
    /// @notice `department`'s approvers may not attest `benefit`, so no case of theirs could issue it.
    error ServiceBenefitNotAllowed(bytes32 benefit, bytes32 department);
    /// @notice Service `serviceId` has no version in force (never registered, or retired).
    error ServiceNotInForce(bytes32 serviceId);
    /// @notice A retirement of service `serviceId` signed seeing version `version`, which is not
    /// a version registered since the line's last retirement (already used, stale or ahead).
    error ServiceRetirementVersion(bytes32 serviceId, uint32 version);
    /**
     * @notice Another service in force grants `benefit` on rule `ruleId` for at most `validFor`
     * seconds: the services binding one rule to one benefit must agree on how long it is valid.
     */
    error ServiceValidityConflict(bytes32 ruleId, bytes32 benefit, uint64 validFor);

    /**
     * @notice Registers the next version of service line `name` of `department` (the fields of
     * `service`, {ServiceTerms}): rule line `ruleId` (of `department`) decides who qualifies,
     * `benefit` is the schema granted, and a case whose authority to issue it comes from the rule
     * alone issues it valid for at most `validFor` seconds (0: no limit, it may never expire).
     *
     * Requirements: department, name and benefit non-zero and `validFor` at most {MAX_VALIDITY}
     * (`ServiceInvalid`); `ruleId` is a
     * registered rule line of `department` (`ServiceRuleNotOwned`); `department`'s APPROVER role
     * may attest `benefit` (`ServiceBenefitNotAllowed`); no other service in force binds `ruleId`
     * to `benefit` with another `validFor` (`ServiceValidityConflict`); signatures as for
     * {IRuleRegistry-register}, of {serviceRegisterHash}.
     *
     * Emits {ServiceRegistered}.
     */
    function registerService(
        ServiceTerms calldata service,
        uint256 deadline,
        address[] calldata signers,
        bytes[] calldata signatures
    ) external returns (bytes32 serviceId, uint32 version);

    /**
     * @notice Retires the version in force of service `name` of `department`: its offers can no
     * longer be accepted (until a new version is registered). As for rules, the approvers sign
     * it seeing version `version` in force; it retires `version` or a version registered after
     * it, once (`version` newer than the line's last retirement), and takes a version number
     * of its own (the line's version becomes the retired one plus 1), so a registration signed
     * before it can no longer be relayed.
     *
     * Requirements: the service is in force (`ServiceNotInForce`); `version` was registered
     * since the line's last retirement and is at most the current one
     * (`ServiceRetirementVersion`); signatures of {serviceRetireHash} for `version`.
     *
     * Emits {ServiceRetired} (with the version retired).
     */
    function retireService(
        bytes32 department,
        bytes32 name,
        uint32 version,
        uint256 deadline,
        address[] calldata signers,
        bytes[] calldata signatures
    ) external;

    /// @notice The longest `validFor` a service may give, in seconds (100 years of 365 days).
    function MAX_VALIDITY() external view returns (uint64);

    /// @notice The stored state of service line `serviceId` (all zero if never registered).
    function serviceOf(bytes32 serviceId) external view returns (ServiceView memory);

    /**
     * @notice How many services of `department` in force grant `benefit` on rule line `ruleId`,
     * and the `validFor` they agree on. A case's RULE step of `ruleId` carries `department`'s
     * authority to issue `benefit` only while `count` is non-zero: the approvers bound the rule
     * to that benefit when they signed a service ({registerService}), never by signing the rule
     * alone; such a benefit expires at most `validFor` seconds after it is issued (0: no limit).
     */
    function servicesInForce(bytes32 department, bytes32 ruleId, bytes32 benefit)
        external
        view
        returns (uint256 count, uint64 validFor);

    /// @notice `keccak256(abi.encode(SERVICE_TAG, department, name))`, the id of service line `name` of `department`.
    function serviceIdOf(bytes32 department, bytes32 name) external pure returns (bytes32);

    /// @notice The EIP-712 digest `signer` signs to register `version` of `service` (the message names its signer).
    function serviceRegisterHash(ServiceTerms calldata service, uint32 version, address signer, uint256 deadline)
        external
        view
        returns (bytes32);

    /// @notice The EIP-712 digest `signer` signs to retire `version` of service `name` of `department`.
    function serviceRetireHash(bytes32 department, bytes32 name, uint32 version, address signer, uint256 deadline)
        external
        view
        returns (bytes32);
}
