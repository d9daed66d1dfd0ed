"""A consent given by a citizen identity owned by the official Safe (1.4.1, 1.5.0) (2-of-3): two owners
each sign their part ('grant sign --as-safe'), the grantee's staff relays both files
('grant submit A B'), joined into the Safe's ERC-1271 signature of the GrantConsent; the grant
is then live for the grantee's staff. One part alone, or parts of different terms, are refused
in one line before anything is sent."""

from __future__ import annotations

import json
from pathlib import Path

from govchain.safe import SafeWallet
from govchain.sharing.consent import SignedConsent
from govchain.sharing.status import AccessStatus
from tests.cli.conftest import CityRun, assert_one_line_error
from tests.cli.sharing_fixtures import SharingCity, sharing_city_fixture, srun_fixture  # noqa: F401
from tests.safe.test_safe_citizen import safe_identity  # noqa: F401 (fixture)
from tests.safe.test_safe_cli import safe_and_owners  # noqa: F401 (fixture)


def test_a_safe_owned_identity_consents_with_two_of_three_owners(
    srun: CityRun,
    sharing_city: SharingCity,
    safe_identity: tuple[str, SafeWallet],  # noqa: F811
    tmp_path: Path,
) -> None:
    identity, safe = safe_identity
    now = int(sharing_city.city.connection.w3.eth.get_block("latest")["timestamp"])
    terms = ("--grantee", "CIVIL", "--owner", "HRSS", "--purpose", "subsidy case",
             "--category", "HRSS.PENSION", "--subject", identity, "--nonce", "42",
             "--from", str(now), "--until", str(now + 30 * 86_400),
             "--deadline", str(now + 86_400), "--as-safe", safe.address,
             "--purpose-salt", "0x" + "5a" * 32)  # fmt: skip

    def sign(key: str, *extra: str) -> Path:
        out = tmp_path / f"{key}.json"
        signed = srun.json("--key", key, "grant", "sign", *terms, *extra, "--out", str(out))
        assert signed["signer"] == safe.address
        return out

    first, third = sign("safe-owner1"), sign("safe-owner3")
    assert SignedConsent.read(first).safe_owner in safe.owners()
    one = srun("--key", "civil-staff", "grant", "submit", str(first))
    assert_one_line_error(one, 2, f"Safe {safe.address} needs 2 owners' signatures")
    other = sign("safe-owner2", "--max-uses", "1")
    mixed = srun("--key", "civil-staff", "grant", "submit", str(first), str(other))
    assert_one_line_error(mixed, 2, "the parts differ in terms")
    stranger = srun("--key", "safe-stranger", "grant", "sign", *terms,
                    "--out", str(tmp_path / "x.json"))  # fmt: skip
    assert_one_line_error(stranger, 1, f"is not an owner of Safe {safe.address}")

    done = srun.json("--key", "civil-staff", "grant", "submit", str(first), str(third))
    assert done["signer"] == safe.address
    consent = SignedConsent.read(first)
    staff = sharing_city.city.departments["CIVIL"].staff.address
    status = sharing_city.grants().access_status(consent.terms, "HRSS.PENSION", staff)
    assert status == AccessStatus.LIVE


def test_the_next_owner_signs_like_the_first_owners_consent_file(
    srun: CityRun,
    sharing_city: SharingCity,
    safe_identity: tuple[str, SafeWallet],  # noqa: F811
    tmp_path: Path,
) -> None:
    """Owner 1 signs with a random nonce and a relative window and deadline; owner 3 signs
    exactly that consent from owner 1's file, with nothing retyped; both are relayed."""
    identity, safe = safe_identity
    first = tmp_path / "first.json"
    srun.json("--key", "safe-owner1", "grant", "sign", "--grantee", "CIVIL", "--owner", "HRSS",
              "--purpose", "subsidy case", "--category", "HRSS.PENSION", "--subject", identity,
              "--until", "30d", "--as-safe", safe.address, "--out", str(first))  # fmt: skip
    like = srun("--key", "safe-owner3", "--json", "safe", "sign-like", str(first), "--yes")
    assert like.exit_code == 0, like.stderr
    assert f"consent of {identity} for Safe {safe.address}" in like.stderr
    third = Path(json.loads(like.stdout)["file"])
    one, three = SignedConsent.read(first), SignedConsent.read(third)
    assert (three.terms, three.deadline) == (one.terms, one.deadline)
    assert three.purpose_salt == one.purpose_salt is not None  # the text stays checkable
    assert three.safe_owner != one.safe_owner
    done = srun.json("--key", "civil-staff", "grant", "submit", str(first), str(third))
    assert done["signer"] == safe.address
    staff = sharing_city.city.departments["CIVIL"].staff.address
    status = sharing_city.grants().access_status(one.terms, "HRSS.PENSION", staff)
    assert status == AccessStatus.LIVE
