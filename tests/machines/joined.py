"""The world of the joined machine (``test_joined_machine.py``): its deployments and actors,
its constants, and the machine's state and helper moves (no rule or invariant: those are in
the test, where Hypothesis runs them).

:func:`build_joined` gathers what the machine's rules read (the fixtures' deployments and
accounts, CIVIL's rule and service ids, the requirement lists); :class:`JoinedState` is the
machine's state (the model, the keys in use, the rule versions, cases, offers, benefits) and
the helper moves its rules share: the clock, membership and key changes, rule and service
changes, benefits read back.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine

from govchain.approval import CaseTerms
from govchain.approval.messages import domain as cases_domain
from govchain.eip712 import Domain
from govchain.services.catalog import service_id
from govchain.services.rules import Requirement, name_code, rule_id
from tests.approval.conftest import DAY
from tests.conftest import hypothesis_examples
from tests.helpers import ROLE_STAFF, enrol
from tests.machines.model import Category, Fact, GrantModel, Offer, World
from tests.machines.sides import Deps, Sides
from tests.services.conftest import Rulebook
from tests.sharing.conftest import CATALOG

#: examples and steps: a share of the loaded profile (10 and 25 in CI's "default", about 40 s on
#: two cores); GOVCHAIN_JOINED_EXAMPLES overrides the count for a long local run.
EXAMPLES = int(os.environ.get("GOVCHAIN_JOINED_EXAMPLES", 0)) or hypothesis_examples(0.06)
STEPS = 25
OUTCOMES: dict[str, int] = {}
PEOPLE = 3  # citizens 0 and 1 may rotate their owner key (to spare accounts 57, 58)
ISSUERS = ["PSB", "CIVIL", "HOUSING", "HRSS"]
GRANTEES = ["HOUSING", "DPF"]
HRSS_NAMES = [n for n, owner, _, _ in CATALOG if owner == "HRSS"]
FAR = 3650 * DAY
#: How long the ``allowance`` service says its benefit stays valid (0: no limit), per registration.
VALIDITY = st.sampled_from([0, DAY, 3 * DAY])


def _count(key: str, into: dict[str, int] = OUTCOMES) -> None:
    into[key] = into.get(key, 0) + 1


@pytest.fixture(scope="module")
def joined_grants(
    project: Any, deployer: Any, departments: Any, citizen_registry: Any, catalog: Any, cats: Any
) -> Any:
    """AccessGrants over the approvals' CitizenRegistry (one identity registry for grants and
    offers, as govchain.deploy wires it). Not linked as the catalog's class listener (the
    sharing suite's deployment is): this machine never reclassifies a category."""
    return project.AccessGrants.deploy(departments, citizen_registry, catalog, sender=deployer)


@dataclass(frozen=True)
class Joined:
    """What the machine's rules read: the deployments, the actors, CIVIL's rules and service."""

    book: Rulebook
    approvals: Any
    attestations: Any
    citizen_registry: Any
    grants: Any
    departments: Any
    council: Any
    chain: Any
    web3: Any
    depts: Any
    citizens: Any
    facts: Any
    outsider: Any
    code_of: dict[str, bytes]
    names_of: dict[bytes, str]
    categories: dict[str, Category]
    base: list[Requirement]
    alternatives: list[list[Requirement]]
    rid: bytes
    weak_reqs: list[Requirement]
    weak: bytes
    attested: bytes
    sid: bytes
    allowance: bytes
    cases_dom: Domain
    keys: dict[int, list[Any]]
    housing_keys: list[Any]
    deps: Deps


def build_joined(
    book: Rulebook, approvals: Any, attestations: Any, rule_registry: Any, citizen_registry: Any,
    joined_grants: Any, catalog: Any, depts: Any, facts: Any, citizens: Any, accounts: Any,
    outsider: Any, chain: Any, departments: Any, council: Any, deployer: Any,
) -> Joined:  # fmt: skip
    """The joined world over the fixtures' deployments."""
    grants = joined_grants
    web3 = chain.provider.web3
    code_of = {name: d.code for name, d in depts.items()}
    names_of = {c: n for n, c in code_of.items()}
    categories = {n: Category(o, s.value != 3, sens) for n, o, s, sens in CATALOG}
    base = [
        Requirement(facts["age"], 30 * DAY, (code_of["PSB"],)),
        Requirement(facts["residence"], 60 * DAY, (code_of["PSB"], code_of["CIVIL"])),
    ]
    alternatives = [base, [*base, Requirement(facts["low_income"], 90 * DAY, (code_of["HRSS"],))]]
    rid = rule_id(code_of["CIVIL"], name_code("elderly"))
    weak_reqs = [Requirement(facts["residence"], 60 * DAY, (code_of["CIVIL"],))]
    weak = rule_id(code_of["CIVIL"], name_code("resident"))
    attested = web3.keccak(
        text="Attested(address,bytes32,bytes32,bytes32,address,bytes32,uint64,bytes32)"
    )
    sid = service_id(code_of["CIVIL"], name_code("allowance"))
    allowance = facts["allowance"]
    cases_dom = cases_domain(chain.chain_id, approvals.address)
    keys = {i: [citizens[i], accounts[57 + i]] for i in range(2)}
    housing_keys = [depts["HOUSING"].staff, accounts[59]]
    deps = Deps(
        grants, approvals, attestations, rule_registry, catalog, chain, depts, citizens, keys,
        Domain("AccessGrants", chain.chain_id, grants.address), rid, sid, names_of,
        relayer=deployer, outsider=outsider, count=_count,
    )  # fmt: skip

    return Joined(
        book, approvals, attestations, citizen_registry, grants, departments, council, chain,
        web3, depts, citizens, facts, outsider, code_of, names_of, categories, base,
        alternatives, rid, weak_reqs, weak, attested, sid, allowance, cases_dom, keys,
        housing_keys, deps,
    )  # fmt: skip


class JoinedState(RuleBasedStateMachine):
    """The joined machine's state and the helper moves its rules share (``env``: its world,
    set by the test on its subclass, which holds the rules and invariants)."""

    env: ClassVar[Joined]

    def __init__(self) -> None:
        super().__init__()
        e = self.env
        self.snapshot = e.chain.snapshot()
        self.t = int(e.chain.blocks.head.timestamp) + 10
        self.world = World(e.categories, "HRSS")
        self.sides = Sides(self, e.deps)
        self.alternatives = e.alternatives
        self.owner_key = dict.fromkeys(range(PEOPLE), 0)
        self.housing = 0  # index of HOUSING's current staff key
        self.facts: list[Fact] = []
        self.rule_in_force = True
        self.version = 0
        self.requirements: dict[int, list[Requirement]] = {}
        self.service = True
        self.valid_for = 0  # the service's validFor, kept across retirement
        self.validity: list[tuple[int, int]] = []  # (block time of a registration, validFor)
        self.cases: list[CaseTerms] = []  # open RULE cases
        self.offers: list[Offer] = []
        self.benefits: dict[int, list[bytes]] = {}  # through acceptOffer
        self.other: dict[int, list[bytes]] = {}  # through cases outside acceptOffer
        self.decisions: list[tuple[int, int, str, list[Fact]]] = []
        self.accesses: list[tuple[int, GrantModel, str, str]] = []
        self.anchors: dict[int, int] = {}
        self.n = 0
        self.weak_registered = False
        self.first_block = int(e.web3.eth.block_number) + 1

    def teardown(self) -> None:
        self.env.chain.restore(self.snapshot)

    # --- the clock and the actors -----------------------------------------------------------

    def _tick(self, seconds: int = 1) -> int:
        self.t = max(self.t, self.head()) + seconds
        self.env.chain.pending_timestamp = self.t
        return self.t

    def head(self) -> int:
        return int(self.env.web3.eth.get_block("latest")["timestamp"])

    def key_of(self, who: int) -> Any:
        keys = self.env.keys
        return keys[who][self.owner_key[who]] if who in keys else self.env.citizens[who]

    def staff(self, dept: str) -> Any:
        e = self.env
        return e.housing_keys[self.housing] if dept == "HOUSING" else e.depts[dept].staff

    def civil_can_sign(self) -> bool:
        return "CIVIL" not in self.world.suspended

    def member(self, grantee: str, which: str) -> Any:
        e = self.env
        if which == "staff":
            return self.staff(grantee)
        if which == "other":
            return e.housing_keys[1 - self.housing] if grantee == "HOUSING" else e.citizens[3]
        if which == "approver":
            return e.depts[grantee].approvers[0]
        return e.outsider

    # --- membership and departments ---------------------------------------------------------

    def council_suspends_or_reinstates(self, dept: str) -> None:
        e = self.env
        t = self._tick()
        if dept in self.world.suspended:
            e.departments.reinstate(e.code_of[dept], sender=e.council)
            self.world.reinstate(dept, t)
        else:
            e.departments.suspend(e.code_of[dept], sender=e.council)
            self.world.suspend(dept, t)
        _count(f"council: suspend/reinstate {dept}")

    def remove_or_readmit_dpf_staff(self) -> None:
        e = self.env
        t = self._tick()
        key, admin = e.depts["DPF"].staff, e.depts["DPF"].admin
        if self.world.members[key.address].dept is None:
            enrol(e.departments, admin, key, ROLE_STAFF)
            self.world.join(key.address, "DPF", ROLE_STAFF, t)
        else:
            e.departments.removeMember(key, sender=admin)
            self.world.leave(key.address, t)
            _count("member removed")

    def rotate_housing_staff_key(self) -> None:
        e = self.env
        old, new = e.housing_keys[self.housing], e.housing_keys[1 - self.housing]
        admin = e.depts["HOUSING"].admin
        t = self._tick()
        e.departments.removeMember(old, sender=admin)
        self.world.leave(old.address, t)
        t = self._tick()
        enrol(e.departments, admin, new, ROLE_STAFF)
        self.world.join(new.address, "HOUSING", ROLE_STAFF, t)
        self.housing = 1 - self.housing
        _count("staff key rotated")

    def citizen_rotates_owner_key(self, who: int) -> None:
        e = self.env
        old, new = e.keys[who][self.owner_key[who]], e.keys[who][1 - self.owner_key[who]]
        t = self._tick()
        e.citizen_registry.changeOwner(e.citizens[who], new, sender=old)
        self.owner_key[who] = 1 - self.owner_key[who]
        self.world.rotate_owner(who, t)
        assert e.citizen_registry.ownerEpoch(e.citizens[who]) == self.world.epochs[who]
        assert e.citizen_registry.identityOwner(e.citizens[who]) == new.address
        _count("owner key rotated")

    # --- rules and the service --------------------------------------------------------------

    def register_service(self, valid: int) -> None:
        e = self.env
        e.book.register_service("CIVIL", "allowance", e.rid, e.allowance, valid_for=valid)
        self.valid_for = valid
        self.validity.append((self.head(), valid))

    def change_rule(self, change: str) -> None:
        book, alternatives = self.env.book, self.alternatives
        self._tick()
        if change == "toggle" and self.rule_in_force:
            book.retire("CIVIL", "elderly")
            # the retirement takes a version number of its own (review s27 R-2)
            self.version += 1
            self.requirements[self.version] = self.requirements[self.version - 1]
            self.rule_in_force = False
        else:
            old = self.requirements[self.version]
            new = old if change == "toggle" else alternatives[old == alternatives[0]]
            book.register("CIVIL", "elderly", new)
            self.version += 1
            self.requirements[self.version] = new
            self.rule_in_force = True
        _count(f"rule {change}")

    def retire_or_register_service(self, valid: int | None = None) -> None:
        self._tick()
        if self.service:
            self.env.book.retire_service("CIVIL", "allowance")
        else:
            self.register_service(self.valid_for if valid is None else valid)
        self.service = not self.service

    # --- benefits ---------------------------------------------------------------------------

    def replay_acceptance(self, pick: int) -> None:
        done = [o for o in self.offers if o.accepted_at is not None]
        self.sides.replay(done[pick % len(done)])

    def revoke_benefit(self, who: int) -> None:
        valid = self.valid_benefits(who)
        if valid and self.civil_can_sign():
            self._tick()
            self.env.attestations.revoke(valid[0], sender=self.env.depts["CIVIL"].approvers[0])

    def valid_benefits(self, who: int, at: int | None = None) -> list[bytes]:
        """Her benefits of the service (through offers or cases opened otherwise) valid at
        block time ``at`` (the head's by default): not revoked, not expired then."""
        attestations = self.env.attestations
        held = [*self.benefits.get(who, []), *self.other.get(who, [])]
        if at is None:
            return [u for u in held if attestations.isValid(u)]
        records = [(u, attestations.getAttestation(u)) for u in held]
        return [u for u, r in records if r.issuedAt and (r.expiry == 0 or at < r.expiry)]
