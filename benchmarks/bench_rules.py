"""Gas of rule-decided steps (秒批): registering a rule, and opening a case whose RULE step is
decided over three attestations in the same transaction (issue 17: at most 150,000).

Run: ``python -m govchain.toolchain.testrun benchmarks/bench_rules.py`` → writes
``benchmarks/results/gas_rules.json``.
"""

# ruff: noqa: F811  (fixtures imported for pytest are parameters of the functions here)
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.bench_approval import _row
from govchain.approval.messages import domain as cases_domain
from govchain.services.catalog import service_id
from govchain.services.offers import consent_hash, sign_acceptance
from govchain.services.rules import name_code, proof, requirements_hash, rule_id
from tests.approval.conftest import h
from tests.services.conftest import Rulebook, book, elderly_rule, facts  # noqa: F401 (fixtures)

OUT = Path(__file__).resolve().parent / "results" / "gas_rules.json"
OPEN_AND_DECIDE_TARGET = 150_000


def test_gas_of_rule_steps(
    book: Rulebook,
    approvals: Any,
    depts: Any,
    citizens: Any,
    facts: Any,
    outsider: Any,
) -> None:
    rows: list[dict[str, Any]] = []
    rule = elderly_rule(depts, facts)
    r = book.register("CIVIL", "elderly", rule)
    rows.append(
        _row(r, "RuleRegistry.register, 3 requirements, 2 signatures (first)", new=3, signatures=2)
    )
    r = book.register("CIVIL", "elderly", rule)
    rows.append(_row(r, "RuleRegistry.register, new version (repeat)", updated=1, signatures=2))
    rid = rule_id(depts["CIVIL"].code, name_code("elderly"))
    staff = depts["CIVIL"].staff
    # the approvers bind the rule to the allowance: without a service in force, its RULE steps
    # issue no allowance (review s25 H-1)
    r = book.register_service("CIVIL", "allowance", rid, facts["allowance"])
    rows.append(
        _row(
            r,
            "RuleRegistry.registerService, 2 signatures (first version)",
            new=5,
            signatures=2,
            note="the service's 4 slots + the count of services in force binding "
            "(department, rule, benefit), which lets the rule's steps issue the benefit",
        )
    )
    for i, citizen in enumerate(citizens[:2]):
        evidence = [
            book.attest("PSB", citizen, facts["age"], data=f"age {i}"),
            book.attest("CIVIL", citizen, facts["residence"], data=f"home {i}"),
            book.attest("HRSS", citizen, facts["low_income"], data=f"income {i}"),
        ]
        schema = facts["allowance"] if i else b"\0" * 32
        terms = book.rule_terms([rid], citizen, schema=schema, documents=h(f"rule case {i}"))
        r = approvals.openCaseByRule(terms.as_tuple(), [proof(rule, evidence)], sender=staff)
        what = "issuing the allowance attestation" if i else "no attestation issued"
        rows.append(
            _row(
                r,
                f"openCaseByRule, 1 RULE step over 3 attestations, {what}",
                new=5 if i else 2,  # issuing: + the benefit record of the terms
                target=OPEN_AND_DECIDE_TARGET,
                note="opens, checks the rule (3 uid preimages, issuers Active, attesters never "
                "marked compromised, isValid) and closes Approved in one transaction; the "
                "compromise mark (review s26 I-2) is one more cold slot per attestation, ~2,800 "
                "with the call's return (148,500 before it)",
            )
        )
    sid = service_id(depts["CIVIL"].code, name_code("allowance"))
    citizen = citizens[2]
    evidence = [
        book.attest("PSB", citizen, facts["age"], data="age 2"),
        book.attest("CIVIL", citizen, facts["residence"], data="home 2"),
        book.attest("HRSS", citizen, facts["low_income"], data="income 2"),
    ]
    terms = book.rule_terms([rid], citizen, schema=facts["allowance"], documents=h("offer 2"))
    dom = cases_domain(book.chain.chain_id, approvals.address)
    consent = consent_hash("govchain.consent:CIVIL:elderly: bench consent text")
    signed = sign_acceptance(
        citizen.private_key,
        dom,
        citizen.address,
        sid,
        terms,
        consent,
        requirements_hash(rule),
        book.now() + 86400,
    )
    r = approvals.acceptOffer(terms.as_tuple(), [proof(rule, evidence)], signed, sender=staff)
    rows.append(
        _row(
            r,
            "acceptOffer: the citizen's one signature, 1 RULE step over 3 attestations, "
            "issuing the allowance",
            new=5,
            signatures=1,
            note="as openCaseByRule with the attestation, + one ECDSA acceptance, the citizen "
            "registry's owner check, the service's terms and the one-benefit slot",
        )
    )
    r = book.retire_service("CIVIL", "allowance")
    rows.append(
        _row(
            r,
            "RuleRegistry.retireService, 2 signatures",
            new=1,
            updated=2,
            signatures=2,
            note="the service's active flag and the binding's count (1 -> 0, refunded); the "
            "line's last-retirement mark (R-3, review s28: new on a line's first retirement)",
        )
    )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(rows, indent=2) + "\n")
    for row in rows:
        print(f"{row['operation']}: {row['gas']:,}")
