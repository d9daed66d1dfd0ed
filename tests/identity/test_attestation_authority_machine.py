"""Property (invariant 4, the attestation part): an attestation carries exactly the authority of
its signer's department at the moment it takes effect.

A Hypothesis state machine attests directly and by relayed signatures (signed for the signer's
department, sometimes for another), suspends, reinstates and retires departments, removes
members and enrols keys elsewhere, treats keys as compromised (the council suspends the
department and revokes what the key issued, then the key is removed), and revokes. Against a
model of membership, roles, department status and nonces it checks:

- an attestation is made exactly when, at that block, the signer's key is a member of the
  department its signature names, holding a role the schema allows, in an Active department
  (and for a signature, its nonce is the current one); the ``Attested`` event names that
  department; every refusal is the named error the model predicts;
- a revocation succeeds exactly when the revoker holds the schema's role in the issuing,
  Active department, or the council revokes while the department is Suspended or Retired;
- after every step, each attestation is valid exactly when the model says so: a suspension
  or a member's removal voids nothing by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from govchain.identity.messages import salted_hash
from tests.conftest import hypothesis_examples
from tests.helpers import ACTIVE, RETIRED, ROLE_APPROVER, ROLE_STAFF, SUSPENDED, enrol
from tests.identity.conftest import SCHEMAS, ZERO32, sign_attest

EXAMPLES = hypothesis_examples(0.15)  # 15 in the default profile, 150 in "deep"
DAY = 86_400
DEPTS = ["PSB", "CIVIL", "HRSS"]
SCHEMA_NAMES = ["real_name", "subsidy", "birth"]


@dataclass
class Issued:
    uid: bytes
    department: str
    attester: str
    schema: str
    valid: bool = True


@dataclass
class Signed:
    key: int
    department: str
    schema: str
    subject: str
    data: bytes
    nonce: int
    deadline: int
    signature: bytes


def _error(exc: BaseException) -> str:
    return type(exc).__name__


def test_attestations_carry_their_signers_authority_at_use(
    attestations: Any,
    schemas: dict[str, bytes],
    departments: Any,
    depts: Any,
    council: Any,
    citizens: list[Any],
    outsider: Any,
    chain: Any,
) -> None:
    # keys that move: two of PSB, two of CIVIL, one of HRSS (none is an admin)
    keys = [
        depts["PSB"].staff,
        depts["PSB"].approvers[0],
        depts["CIVIL"].staff,
        depts["CIVIL"].approvers[0],
        depts["HRSS"].staff,
    ]
    initial = [("PSB", ROLE_STAFF), ("PSB", ROLE_APPROVER), ("CIVIL", ROLE_STAFF),
               ("CIVIL", ROLE_APPROVER), ("HRSS", ROLE_STAFF)]  # fmt: skip
    outcomes: dict[str, int] = {}

    def count(name: str) -> None:
        outcomes[name] = outcomes.get(name, 0) + 1
        event(name)

    class AuthorityMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.snapshot = chain.snapshot()
            self.member: dict[int, tuple[str, int] | None] = dict(enumerate(initial))
            self.status = {d: ACTIVE for d in DEPTS}
            self.nonce = {i: int(attestations.nonces(k)) for i, k in enumerate(keys)}
            self.issued: list[Issued] = []
            self.pending: list[Signed] = []
            self.serial = 0

        def teardown(self) -> None:
            chain.restore(self.snapshot)

        # --- the model's rules ---

        def _allows(self, schema: str, department: str, roles: int) -> bool:
            spec = SCHEMAS[schema]
            tag_ok = spec.department == ZERO32 or spec.department == depts[department].code
            return bool(roles & spec.role_mask) and tag_ok

        def _attest_refusal(self, key: int, named: str | None, schema: str) -> str | None:
            held = self.member[key]
            if held is None or self.status[held[0]] != ACTIVE:
                return "AttestationUnauthorized"
            if named is not None and held[0] != named:
                return "AttestationWrongDepartment"
            if not self._allows(schema, held[0], held[1]):
                return "AttestationSchemaNotAllowed"
            return None

        def _data(self) -> bytes:
            self.serial += 1
            return salted_hash(b"\x33" * 32, f"fact {self.serial}".encode())

        def _record(self, tx: Any, key: int, department: str, schema: str) -> None:
            [ev] = tx.events.filter(attestations.Attested)
            assert bytes(ev.department) == depts[department].code
            assert ev.attester == keys[key].address
            self.issued.append(Issued(bytes(ev.uid), department, keys[key].address, schema))

        # --- attest ---

        @rule(key=st.integers(0, 4), schema=st.sampled_from(SCHEMA_NAMES), who=st.integers(0, 5))
        def attest(self, key: int, schema: str, who: int) -> None:
            expected = self._attest_refusal(key, None, schema)
            try:
                tx = attestations.attest(
                    citizens[who], schemas[schema], self._data(), 0, ZERO32, sender=keys[key]
                )
            except Exception as exc:
                assert expected == _error(exc), (expected, _error(exc))
                count(f"attest refused: {expected}")
                return
            assert expected is None, expected
            held = self.member[key]
            assert held is not None
            self._record(tx, key, held[0], schema)
            count("attested")

        @rule(
            key=st.integers(0, 4),
            schema=st.sampled_from(SCHEMA_NAMES),
            elsewhere=st.sampled_from([None, None, None, *DEPTS]),
            who=st.integers(0, 5),
        )
        def sign(self, key: int, schema: str, elsewhere: str | None, who: int) -> None:
            """The key signs for its department (mostly) or names another one."""
            held = self.member[key]
            department = elsewhere or (held[0] if held else "HRSS")
            subject = citizens[who].address
            data = self._data()
            deadline = int(chain.pending_timestamp) + DAY
            request = (subject, schemas[schema], data, 0, ZERO32)
            signature = sign_attest(
                attestations, chain, keys[key], depts[department].code, request, deadline,
                nonce=self.nonce[key],
            )  # fmt: skip
            self.pending.append(
                Signed(key, department, schema, subject, data, self.nonce[key], deadline, signature)
            )

        @rule(key=st.integers(0, 4), who=st.integers(0, 5))
        def sign_and_relay(self, key: int, who: int) -> None:
            """The everyday path: a key signs, for its own department, a schema its role fits,
            and the signature is relayed at once."""
            held = self.member[key]
            if held is None:
                return
            fits = [n for n in SCHEMA_NAMES if self._allows(n, held[0], held[1])]
            self.sign(key, fits[who % len(fits)] if fits else "birth", None, who)
            self.relay(len(self.pending) - 1)

        @rule(index=st.integers(0, 20))
        def relay(self, index: int) -> None:
            if not self.pending:
                return
            signed = self.pending.pop(index % len(self.pending))
            if signed.nonce != self.nonce[signed.key]:
                expected: str | None = "SignatureInvalidSigner"
            else:
                expected = self._attest_refusal(signed.key, signed.department, signed.schema)
            request = (signed.subject, schemas[signed.schema], signed.data, 0, ZERO32)
            try:
                tx = attestations.attestBySig(
                    keys[signed.key], depts[signed.department].code, request, signed.deadline,
                    signed.signature, sender=outsider,
                )  # fmt: skip
            except Exception as exc:
                assert expected == _error(exc), (expected, _error(exc), signed)
                count(f"relay refused: {expected}")
                return
            assert expected is None, (expected, signed)
            self.nonce[signed.key] += 1
            self._record(tx, signed.key, signed.department, signed.schema)
            count("attested by signature")

        # --- departments and members ---

        @rule(department=st.sampled_from(DEPTS))
        def suspend_or_reinstate(self, department: str) -> None:
            code = depts[department].code
            if self.status[department] == ACTIVE:
                departments.suspend(code, sender=council)
                self.status[department] = SUSPENDED
            elif self.status[department] == SUSPENDED:
                departments.reinstate(code, sender=council)
                self.status[department] = ACTIVE

        @rule()
        def retire_hrss(self) -> None:
            if self.status["HRSS"] == RETIRED:
                return
            if self.status["HRSS"] == ACTIVE:
                departments.suspend(depts["HRSS"].code, sender=council)
            departments.retire(depts["HRSS"].code, sender=council)
            self.status["HRSS"] = RETIRED

        @rule(key=st.integers(0, 4))
        def remove_member(self, key: int) -> None:
            held = self.member[key]
            if held is None or self.status[held[0]] != ACTIVE:
                return
            departments.removeMember(keys[key], sender=depts[held[0]].admin)
            self.member[key] = None

        @rule(
            key=st.integers(0, 4),
            department=st.sampled_from(DEPTS),
            roles=st.sampled_from([ROLE_STAFF, ROLE_APPROVER, ROLE_STAFF | ROLE_APPROVER]),
        )
        def enrol(self, key: int, department: str, roles: int) -> None:
            if self.member[key] is not None or self.status[department] != ACTIVE:
                return
            enrol(departments, depts[department].admin, keys[key], roles)
            self.member[key] = (department, roles)

        @rule(key=st.integers(0, 4), department=st.sampled_from(DEPTS), who=st.integers(0, 5))
        def sign_move_relay(self, key: int, department: str, who: int) -> None:
            """The finding: a key signs for its department, moves to another one before the
            signature is relayed; the relayed signature must not carry the new department's
            authority."""
            held = self.member[key]
            if held is None or held[0] == department:
                return
            if self.status[held[0]] != ACTIVE or self.status[department] != ACTIVE:
                return
            self.sign(key, "birth", None, who)
            self.remove_member(key)
            self.enrol(key, department, ROLE_STAFF)
            self.relay(len(self.pending) - 1)

        @rule(key=st.integers(0, 4))
        def compromise(self, key: int) -> None:
            """The key is found compromised after it made a relayed attestation: the council
            suspends its department, revokes every still-valid attestation the key issued there,
            reinstates, and the key is removed."""
            held = self.member[key]
            if held is None or self.status[held[0]] != ACTIVE:
                return
            department = held[0]
            code = depts[department].code
            # what the thief did with the key: one more attestation, through a relayer
            self.sign_and_relay(key, self.serial)
            mine = [
                a for a in self.issued
                if a.valid and a.attester == keys[key].address and a.department == department
            ]  # fmt: skip
            departments.suspend(code, sender=council)
            if mine:
                tx = attestations.councilRevoke(code, [a.uid for a in mine], sender=council)
                assert len(list(tx.events.filter(attestations.Revoked))) == len(mine)
                for a in mine:
                    a.valid = False
                count("compromised key's attestations revoked")
            departments.reinstate(code, sender=council)
            departments.removeMember(keys[key], sender=depts[department].admin)
            self.member[key] = None

        # --- revoke ---

        @rule(index=st.integers(0, 30), key=st.integers(0, 4))
        def revoke(self, index: int, key: int) -> None:
            if not self.issued:
                return
            issued = self.issued[index % len(self.issued)]
            spec = SCHEMAS[issued.schema]
            held = self.member[key]
            if not issued.valid:
                expected: str | None = "AttestationNotFound"
            elif not spec.revocable:
                expected = "AttestationIrrevocable"
            elif held is None or self.status[held[0]] != ACTIVE:
                expected = "AttestationUnauthorized"
            elif held[0] != issued.department or held[1] & spec.role_mask == 0:
                expected = "AttestationUnauthorizedRevoker"
            else:
                expected = None
            try:
                attestations.revoke(issued.uid, sender=keys[key])
            except Exception as exc:
                assert expected == _error(exc), (expected, _error(exc))
                count(f"revoke refused: {expected}")
                return
            assert expected is None, expected
            issued.valid = False
            count("revoked")

        @rule(index=st.integers(0, 30))
        def council_revoke(self, index: int) -> None:
            if not self.issued:
                return
            issued = self.issued[index % len(self.issued)]
            if self.status[issued.department] not in (SUSPENDED, RETIRED):
                expected: str | None = "AttestationDepartmentNotHalted"
            elif not issued.valid:
                expected = "AttestationNotFound"
            else:
                expected = None
            code = depts[issued.department].code
            try:
                attestations.councilRevoke(code, [issued.uid], sender=council)
            except Exception as exc:
                assert expected == _error(exc), (expected, _error(exc))
                count(f"council revoke refused: {expected}")
                return
            assert expected is None, expected
            issued.valid = False
            count("council revoked")

        @invariant()
        def validity_follows_the_model(self) -> None:
            for issued in self.issued:
                assert bool(attestations.isValid(issued.uid)) == issued.valid, issued

    run_state_machine_as_test(
        AuthorityMachine,
        settings=settings(deadline=None, max_examples=EXAMPLES, stateful_step_count=18),
    )
    print("state machine outcomes:", outcomes)
    # both sides of the property were reached, including the department the signature names
    assert outcomes.get("attested by signature", 0) > 0, outcomes
    assert outcomes.get("relay refused: AttestationWrongDepartment", 0) > 0, outcomes
    assert outcomes.get("relay refused: AttestationUnauthorized", 0) > 0, outcomes
    assert outcomes.get("attested", 0) > 0, outcomes
    assert (
        outcomes.get("council revoked", 0)
        + outcomes.get("compromised key's attestations revoked", 0)
        > 0
    ), outcomes
