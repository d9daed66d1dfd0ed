"""Gas of the CitizenRegistry's relayed (``...Signed``) operations, first and repeat.

The identity table (gas_identity.json) has each direct operation and the signed change of
owner / attribute; this one has the other signed variants: a relayer (a department's staff, or
any account) sends what the citizen signed (EIP-712), the identity's nonce shares its packed
slot with the owner, so a signed operation adds no slot over the direct one, only the recovery
(3,000) and the signature's calldata. Reference: ethr-did-registry on the same toolchain
(setAttributeSigned 79,700 first; addDelegate 72,217).

Run: ``python -m govchain.toolchain.testrun benchmarks/bench_citizen.py -s``; writes
``benchmarks/results/gas_citizen.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eth_account import Account
from eth_utils.crypto import keccak

from benchmarks.gastable import GasTable
from govchain.identity.messages import (
    ADD_DELEGATE,
    CANCEL_RECOVERY,
    REVOKE_ATTRIBUTE,
    REVOKE_DELEGATE,
    SET_ATTRIBUTE,
    SET_GUARDIANS,
)
from tests.identity.conftest import sign_citizen

OUT = Path(__file__).resolve().parent / "results" / "gas_citizen.json"
DAY = 86_400
AGENT = keccak(text="govchain.delegate.agent")
ENC_KEY = keccak(text="encKey")
ETHR_SET_ATTRIBUTE_SIGNED = 79_700
ETHR_ADD_DELEGATE = 72_217


def test_signed_citizen_operations(
    citizen_registry: Any, citizens: list[Any], depts: Any, outsider: Any, chain: Any
) -> None:
    t = GasTable(OUT)
    reg = citizen_registry
    a, b, c, d = citizens[0], citizens[1], citizens[2], citizens[3]
    dl = chain.pending_timestamp + 3600
    relayer = depts["CIVIL"].staff

    def sign(signer: Any, typed: Any, **fields: Any) -> bytes:
        return sign_citizen(reg, chain, signer, typed, deadline=dl, **fields)

    for who, delegate in (("first change of the identity", b), ("repeat", c)):
        sig = sign(a, ADD_DELEGATE, identity=a.address, delegateType=AGENT,
                   delegate=delegate.address, validity=30 * DAY)  # fmt: skip
        r = reg.addDelegateSigned(a, AGENT, delegate, 30 * DAY, dl, sig, sender=relayer)
        t.add(f"addDelegateSigned ({who})", r, new=3 if who != "repeat" else 2,
              upd=0 if who != "repeat" else 2, sigs=1, reference=ETHR_ADD_DELEGATE,
              note="reference: ethr-did-registry addDelegate (direct); the delegate is also "
              "listed under the owner epoch (an agent: one entry slot, the length in entry 0)")  # fmt: skip
    sig = sign(a, REVOKE_DELEGATE, identity=a.address, delegateType=AGENT, delegate=b.address)
    r = reg.revokeDelegateSigned(a, AGENT, b, dl, sig, sender=relayer)
    t.add("revokeDelegateSigned", r, upd=4, sigs=1,
          note="delegate slot cleared (refund); the list's last entry moves into its place")  # fmt: skip

    # an owner change announces the end of each unexpired delegate of the ended epoch (a
    # DIDDelegateChanged with validTo = now for a stock did:ethr resolver), MAX_DELEGATES at most
    for owner, count in ((citizens[8], 0), (citizens[9], 1), (citizens[10], 8)):
        for _ in range(count):
            reg.addDelegate(owner, AGENT, Account.create().address, 30 * DAY, sender=owner)
        if count == 0:  # an identity changed before, as the others (its slot is not new)
            reg.setAttribute(owner, ENC_KEY, b"\x01", DAY, sender=owner)
        r = reg.changeOwner(owner, outsider, sender=owner)
        assert len(r.events.filter(reg.DIDDelegateChanged)) == count
        t.add(f"changeOwner, {count} live delegate(s) announced"
              + (" (the bound, MAX_DELEGATES)" if count == 8 else ""), r,
              upd=1, note="identity slot; the list's first entry (its length) read; per further "
              "delegate one entry slot, per delegate its slot (cold) and one event")  # fmt: skip

    value = b"\x04" + bytes(range(1, 65))
    for who, name in (("first change of the identity", ENC_KEY), ("repeat", keccak(text="svc"))):
        sig = sign(d, SET_ATTRIBUTE, identity=d.address, name=name, value=value,
                   validity=365 * DAY)  # fmt: skip
        r = reg.setAttributeSigned(d, name, value, 365 * DAY, dl, sig, sender=relayer)
        t.add(f"setAttributeSigned ({who})", r, new=1 if who != "repeat" else 0,
              upd=0 if who != "repeat" else 1, sigs=1, reference=ETHR_SET_ATTRIBUTE_SIGNED,
              target=ETHR_SET_ATTRIBUTE_SIGNED,
              note="65-byte public key; only the change block and nonce are stored, the value "
              "is in the event")  # fmt: skip
    sig = sign(d, REVOKE_ATTRIBUTE, identity=d.address, name=ENC_KEY, value=value)
    r = reg.revokeAttributeSigned(d, ENC_KEY, value, dl, sig, sender=relayer)
    t.add("revokeAttributeSigned", r, upd=1, sigs=1)

    guardians = [citizens[4], citizens[5], depts["PSB"].staff]
    addresses = [g.address for g in guardians]
    sig = sign(b, SET_GUARDIANS, identity=b.address, guardians=addresses, threshold=2,
               delay=3 * DAY)  # fmt: skip
    r = reg.setGuardiansSigned(b, guardians, 2, 3 * DAY, dl, sig, sender=relayer)
    t.add("setGuardiansSigned (3 guardians, threshold 2, first)", r, new=6, sigs=1,
          note="config, guardian list length + 3 entries, identity slot; 3 memberOf calls")  # fmt: skip
    reg.approveRecovery(b, c, sender=guardians[0])
    sig = sign(b, CANCEL_RECOVERY, identity=b.address)
    r = reg.cancelRecoverySigned(b, dl, sig, sender=relayer)
    t.add("cancelRecoverySigned (a recovery was pending)", r, upd=2, sigs=1,
          note="the epoch bump voids every pending approval at once")  # fmt: skip
    t.write()
