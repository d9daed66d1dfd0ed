// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

import {SignatureVerifier} from "../common/SignatureVerifier.sol";
import {IAttestationRegistry} from "../interfaces/IAttestationRegistry.sol";
import {IDepartmentRegistry, ROLE_APPROVER} from "../interfaces/IDepartmentRegistry.sol";
import {IRuleRegistry} from "../interfaces/IRuleRegistry.sol";
import {IServiceRegistry} from "../interfaces/IServiceRegistry.sol";
import {RuleCheckLib} from "./RuleCheckLib.sol";

/**
 * @title RuleRegistry
 * @notice Versioned rules, and the services that grant a benefit on them, registered and
 * retired by a department's approvers. See {IRuleRegistry} and {IServiceRegistry}.
 */
contract RuleRegistry is IRuleRegistry, IServiceRegistry, SignatureVerifier {
    /// @notice `keccak256("RegisterRule(bytes32 department,bytes32 name,uint32 version,bytes32 requirementsHash,address signer,uint256 deadline)")`
    bytes32 public constant REGISTER_TYPEHASH = keccak256(
        "RegisterRule(bytes32 department,bytes32 name,uint32 version,bytes32 requirementsHash,address signer,uint256 deadline)"
    );

    /// @notice `keccak256("RetireRule(bytes32 department,bytes32 name,uint32 version,address signer,uint256 deadline)")`
    bytes32 public constant RETIRE_TYPEHASH =
        keccak256("RetireRule(bytes32 department,bytes32 name,uint32 version,address signer,uint256 deadline)");

    /// @notice `keccak256("RegisterService(bytes32 department,bytes32 name,uint32 version,bytes32 ruleId,bytes32 benefit,uint64 validFor,address signer,uint256 deadline)")`
    bytes32 public constant REGISTER_SERVICE_TYPEHASH = keccak256(
        "RegisterService(bytes32 department,bytes32 name,uint32 version,bytes32 ruleId,bytes32 benefit,uint64 validFor,address signer,uint256 deadline)"
    );

    /// @notice `keccak256("RetireService(bytes32 department,bytes32 name,uint32 version,address signer,uint256 deadline)")`
    bytes32 public constant RETIRE_SERVICE_TYPEHASH =
        keccak256("RetireService(bytes32 department,bytes32 name,uint32 version,address signer,uint256 deadline)");

    /// @notice `keccak256("govchain.service")`, what separates service ids from rule ids.
    bytes32 public constant SERVICE_TAG = keccak256("govchain.service");

    /// @inheritdoc IServiceRegistry
    uint64 public constant MAX_VALIDITY = 100 * 365 days;

    /// @inheritdoc IRuleRegistry
    uint256 public constant MAX_REQUIREMENTS = 16;

    /// @inheritdoc IRuleRegistry
    uint256 public constant MAX_DEPARTMENTS = 16;

    /// @inheritdoc IRuleRegistry
    uint256 public immutable SIGNATURES;

    IDepartmentRegistry private immutable _departments;
    IAttestationRegistry private immutable _attestations;

    mapping(bytes32 ruleId => RuleView) private _rules;
    mapping(bytes32 serviceId => ServiceView) private _services;
    /// @dev The services in force binding a (department, rule, benefit), and the validity they agree on.
    struct Binding {
        uint32 count;
        uint64 validFor;
    }

    /// @dev Each (department, rule, benefit)'s {Binding}: see {servicesInForce}.
    mapping(bytes32 bindingKey => Binding) private _bindings;

    /// @dev R-3 (review s28): the version number the last retirement of a rule or service line
    /// took (0: never retired). A retirement signed seeing version `v` applies once, while
    /// `_lastRetirement < v <= current`: whatever was registered after it was signed is retired too.
    mapping(bytes32 lineId => uint32) private _lastRetirement;

    /// @param signatures_ how many distinct approvers of a department sign each of its rule changes (at least 1)
    constructor(IDepartmentRegistry departments_, IAttestationRegistry attestations_, uint256 signatures_)
        EIP712("RuleRegistry", "1")
    {
        if (signatures_ == 0) revert RuleInsufficientSignatures(0, 1);
        _departments = departments_;
        _attestations = attestations_;
        SIGNATURES = signatures_;
    }

    /// @inheritdoc IRuleRegistry
    function register(
        bytes32 department,
        bytes32 name,
        Requirement[] calldata requirements,
        uint256 deadline,
        address[] calldata signers,
        bytes[] calldata signatures
    ) external returns (bytes32 ruleId, uint32 version) {
        if (department == bytes32(0) || name == bytes32(0)) revert RuleInvalidName();
        _validate(requirements);
        ruleId = _ruleId(department, name);
        version = _rules[ruleId].version + 1;
        bytes32 requirementsHash = keccak256(abi.encode(requirements));
        _checkSigners(
            department,
            abi.encode(REGISTER_TYPEHASH, department, name, version, requirementsHash),
            deadline,
            signers,
            signatures
        );
        _rules[ruleId] = RuleView(department, requirementsHash, version, true);
        emit RuleRegistered(ruleId, department, version, name, requirements, msg.sender, signers);
    }

    /// @inheritdoc IRuleRegistry
    function retire(
        bytes32 department,
        bytes32 name,
        uint32 version,
        uint256 deadline,
        address[] calldata signers,
        bytes[] calldata signatures
    ) external {
        bytes32 ruleId = _ruleId(department, name);
        RuleView storage rule = _rules[ruleId];
        if (!rule.active) revert RuleNotInForce(ruleId);
        uint32 current = rule.version;
        if (version <= _lastRetirement[ruleId] || version > current) revert RuleRetirementVersion(ruleId, version);
        _checkSigners(
            department, abi.encode(RETIRE_TYPEHASH, department, name, version), deadline, signers, signatures
        );
        // R-2 (review s27): the retirement takes a version number of its own, so a registration
        // signed for the next version before it (an abandoned change) can no longer be relayed;
        // R-3 (review s28): it retires the version in force even if registered after it was signed
        rule.active = false;
        rule.version = current + 1;
        _lastRetirement[ruleId] = current + 1;
        emit RuleRetired(ruleId, department, current, msg.sender, signers);
    }

    /// @inheritdoc IServiceRegistry
    function registerService(
        ServiceTerms calldata service,
        uint256 deadline,
        address[] calldata signers,
        bytes[] calldata signatures
    ) external returns (bytes32 serviceId, uint32 version) {
        bytes32 department = service.department;
        if (
            department == bytes32(0) || service.name == bytes32(0) || service.benefit == bytes32(0)
                || service.validFor > MAX_VALIDITY
        ) revert ServiceInvalid();
        if (_rules[service.ruleId].department != department) revert ServiceRuleNotOwned(service.ruleId, department);
        if (!_attestations.canAttest(service.benefit, department, ROLE_APPROVER)) {
            revert ServiceBenefitNotAllowed(service.benefit, department);
        }
        serviceId = _serviceId(department, service.name);
        ServiceView storage previous = _services[serviceId];
        version = previous.version + 1;
        _checkSigners(department, _registerServiceHead(service, version), deadline, signers, signatures);
        // the version it replaces no longer binds; every other service in force binding the
        // same rule to the same benefit must grant it for as long
        if (previous.active) --_bindings[_bindingKey(department, previous.ruleId, previous.benefit)].count;
        Binding storage binding = _bindings[_bindingKey(department, service.ruleId, service.benefit)];
        if (binding.count != 0 && binding.validFor != service.validFor) {
            revert ServiceValidityConflict(service.ruleId, service.benefit, binding.validFor);
        }
        ++binding.count;
        binding.validFor = service.validFor;
        _services[serviceId] = ServiceView(department, service.ruleId, service.benefit, service.validFor, version, true);
        _emitServiceRegistered(serviceId, version, service, signers);
    }

    /// @dev Emits {ServiceRegistered} (apart, for the stack).
    function _emitServiceRegistered(
        bytes32 serviceId,
        uint32 version,
        ServiceTerms calldata service,
        address[] calldata signers
    ) private {
        emit ServiceRegistered(
            serviceId,
            service.department,
            version,
            service.name,
            service.ruleId,
            service.benefit,
            service.validFor,
            msg.sender,
            signers
        );
    }

    /// @inheritdoc IServiceRegistry
    function retireService(
        bytes32 department,
        bytes32 name,
        uint32 version,
        uint256 deadline,
        address[] calldata signers,
        bytes[] calldata signatures
    ) external {
        bytes32 serviceId = _serviceId(department, name);
        ServiceView storage service = _services[serviceId];
        if (!service.active) revert ServiceNotInForce(serviceId);
        uint32 current = service.version;
        if (version <= _lastRetirement[serviceId] || version > current) {
            revert ServiceRetirementVersion(serviceId, version);
        }
        _checkSigners(
            department, abi.encode(RETIRE_SERVICE_TYPEHASH, department, name, version), deadline, signers, signatures
        );
        // R-2 (review s27), R-3 (review s28): as for rules
        service.active = false;
        service.version = current + 1;
        _lastRetirement[serviceId] = current + 1;
        --_bindings[_bindingKey(department, service.ruleId, service.benefit)].count;
        emit ServiceRetired(serviceId, department, current, msg.sender, signers);
    }

    /// @inheritdoc IServiceRegistry
    function serviceOf(bytes32 serviceId) external view returns (ServiceView memory) {
        return _services[serviceId];
    }

    /// @inheritdoc IServiceRegistry
    function servicesInForce(bytes32 department, bytes32 ruleId, bytes32 benefit)
        external
        view
        returns (uint256 count, uint64 validFor)
    {
        Binding storage binding = _bindings[_bindingKey(department, ruleId, benefit)];
        return (binding.count, binding.validFor);
    }

    /// @inheritdoc IServiceRegistry
    function serviceIdOf(bytes32 department, bytes32 name) external pure returns (bytes32) {
        return _serviceId(department, name);
    }

    /// @inheritdoc IServiceRegistry
    function serviceRegisterHash(ServiceTerms calldata service, uint32 version, address signer, uint256 deadline)
        external
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(_structHash(_registerServiceHead(service, version), signer, deadline));
    }

    /// @inheritdoc IServiceRegistry
    function serviceRetireHash(bytes32 department, bytes32 name, uint32 version, address signer, uint256 deadline)
        external
        view
        returns (bytes32)
    {
        bytes memory head = abi.encode(RETIRE_SERVICE_TYPEHASH, department, name, version);
        return _hashTypedDataV4(_structHash(head, signer, deadline));
    }

    /// @inheritdoc IRuleRegistry
    function ruleOf(bytes32 ruleId) external view returns (RuleView memory) {
        return _rules[ruleId];
    }

    /// @inheritdoc IRuleRegistry
    function ruleIdOf(bytes32 department, bytes32 name) external pure returns (bytes32) {
        return _ruleId(department, name);
    }

    /// @inheritdoc IRuleRegistry
    function requirementsHashOf(Requirement[] calldata requirements) external pure returns (bytes32) {
        return keccak256(abi.encode(requirements));
    }

    /// @inheritdoc IRuleRegistry
    function check(bytes32 ruleId, address subject, Requirement[] calldata requirements, Evidence[] calldata evidence)
        external
        view
        returns (uint32 version, bytes32[] memory uids)
    {
        RuleView memory rule = _rules[ruleId];
        uids = RuleCheckLib.check(rule, ruleId, subject, requirements, evidence, _attestations, _departments);
        version = rule.version;
    }

    /// @inheritdoc IRuleRegistry
    function registerHash(
        bytes32 department,
        bytes32 name,
        uint32 version,
        bytes32 requirementsHash,
        address signer,
        uint256 deadline
    ) external view returns (bytes32) {
        bytes memory head = abi.encode(REGISTER_TYPEHASH, department, name, version, requirementsHash);
        return _hashTypedDataV4(_structHash(head, signer, deadline));
    }

    /// @inheritdoc IRuleRegistry
    function retireHash(bytes32 department, bytes32 name, uint32 version, address signer, uint256 deadline)
        external
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(_structHash(abi.encode(RETIRE_TYPEHASH, department, name, version), signer, deadline));
    }

    /// @dev The fields of `RegisterService` before `signer`, for version `version` of `service`.
    function _registerServiceHead(ServiceTerms calldata service, uint32 version) private pure returns (bytes memory) {
        return abi.encode(
            REGISTER_SERVICE_TYPEHASH,
            service.department,
            service.name,
            version,
            service.ruleId,
            service.benefit,
            service.validFor
        );
    }

    /**
     * @dev The struct hash of a message whose typehash and fields before `signer` are `head`
     * (`abi.encode` of static values), followed by `signer` and `deadline`: every message of this
     * registry ends `address signer,uint256 deadline`, so this equals `keccak256(abi.encode(
     * TYPEHASH, fields..., signer, deadline))`.
     */
    function _structHash(bytes memory head, address signer, uint256 deadline) private pure returns (bytes32) {
        return keccak256(bytes.concat(head, abi.encode(signer, deadline)));
    }

    function _ruleId(bytes32 department, bytes32 name) private pure returns (bytes32) {
        return keccak256(abi.encode(department, name));
    }

    function _serviceId(bytes32 department, bytes32 name) private pure returns (bytes32) {
        return keccak256(abi.encode(SERVICE_TAG, department, name));
    }

    function _bindingKey(bytes32 department, bytes32 ruleId, bytes32 benefit) private pure returns (bytes32) {
        return keccak256(abi.encode(department, ruleId, benefit));
    }

    function _validate(Requirement[] calldata requirements) private pure {
        uint256 count = requirements.length;
        if (count == 0 || count > MAX_REQUIREMENTS) revert RuleInvalidRequirementCount(count);
        for (uint256 i = 0; i < count; ++i) {
            Requirement calldata r = requirements[i];
            uint256 named = r.departments.length;
            if (r.schema == bytes32(0) || r.maxAge == 0 || named == 0 || named > MAX_DEPARTMENTS) {
                revert RuleInvalidRequirement(i);
            }
            for (uint256 j = 0; j < named; ++j) {
                if (r.departments[j] == bytes32(0)) revert RuleInvalidRequirement(i);
            }
        }
    }

    /**
     * @dev Invariant 2 for rule changes: reverts unless `signers` (strictly ascending, at least
     * {SIGNATURES}) are each an active APPROVER of the Active `department` now and each signed
     * (EOA or ERC-1271) before `deadline` the typed message `head` that names that signer
     * ({_structHash}; R2-5: a wallet accepting its owner's signature cannot count the owner's
     * own approval as its own, since the owner signed a message naming herself, not the wallet).
     */
    function _checkSigners(
        bytes32 department,
        bytes memory head,
        uint256 deadline,
        address[] calldata signers,
        bytes[] calldata signatures
    ) private view {
        uint256 count = signers.length;
        if (count < SIGNATURES || signatures.length != count) {
            revert RuleInsufficientSignatures(count < signatures.length ? count : signatures.length, SIGNATURES);
        }
        address previous = address(0);
        for (uint256 i = 0; i < count; ++i) {
            address signer = signers[i];
            if (signer <= previous) revert RuleSignerOrder(signer, previous);
            if (!_departments.isActiveMember(signer, department, ROLE_APPROVER)) {
                revert RuleNotApprover(signer, department);
            }
            _verifySignature(signer, _structHash(head, signer, deadline), deadline, signatures[i]);
            previous = signer;
        }
    }
}
