"""Fixtures of the data-sharing command tests: the city with a catalog and a citizen.

Import them into a test module (``from tests.cli.sharing_fixtures import sharing_city_fixture,
srun_fixture  # noqa: F401``): they register as ``sharing_city`` and ``srun``.
The catalog and the citizens' keystores are set up once per module, before the per-test
snapshots of ``city_run``, so every test starts from the same state.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from govchain.keystore import Keystore
from govchain.reference import City
from govchain.sharing.anchors import AnchorRegistry, CategorySpec
from govchain.sharing.catalog import LegalBasis, SharingClass
from govchain.sharing.grants import AccessGrants, GrantTerms, purpose_hash
from govchain.toolchain.devnet import Devnet, rpc
from govchain.tx import Sender
from tests.cli.conftest import CITY_PASSPHRASE, CityRun, fund

CATEGORIES = (
    CategorySpec("HRSS.PENSION", SharingClass.CONDITIONAL, False, b"\x11" * 32, 30 * 86400),
    CategorySpec("HRSS.MEDICAL", SharingClass.CONDITIONAL, True),
    CategorySpec("HRSS.POLICY", SharingClass.UNCONDITIONAL),
    CategorySpec("HRSS.INTERNAL", SharingClass.NOT_SHARED),
)
DPF_CATEGORIES = (CategorySpec("DPF.CERT", SharingClass.CONDITIONAL, True),)


@dataclass
class SharingCity:
    city: City
    home: Path
    citizen: LocalAccount  # keystore "citizen"
    neighbour: LocalAccount  # keystore "neighbour"

    def grants(self, account: LocalAccount | None = None) -> AccessGrants:
        connection = self.city.connection
        sender = Sender(connection.w3, account, connection.decoder()) if account else None
        return AccessGrants(connection, sender)

    def give(
        self,
        categories: tuple[str, ...] = ("HRSS.PENSION",),
        grantee: str = "CIVIL",
        seconds: int = 30 * 86400,
        max_uses: int = 0,
        nonce: int = 1,
    ) -> GrantTerms:
        """A consent grant from the citizen to ``grantee`` over HRSS data (sent with the SDK)."""
        client = self.grants(self.citizen)
        now = client.now()
        terms = GrantTerms(
            self.citizen.address,
            grantee,
            "HRSS",
            categories,
            purpose_hash("subsidy case"),
            LegalBasis.CONSENT,
            now,
            now + seconds,
            max_uses,
            nonce,
        )
        client.give(terms)
        return terms


@pytest.fixture(scope="module", name="sharing_city")
def sharing_city_fixture(city: tuple[City, Path], devnet: Devnet) -> SharingCity:
    built, home = city
    connection = built.connection
    for owner, specs in (("HRSS", CATEGORIES), ("DPF", DPF_CATEGORIES)):
        admin = built.departments[owner].admin
        registry = AnchorRegistry(connection, Sender(connection.w3, admin, connection.decoder()))
        for spec in specs:
            registry.add_category(spec)
    keystore = Keystore(home, kdf="pbkdf2", iterations=2)
    people = []
    for name in ("citizen", "neighbour"):
        account = Account.create()
        fund(devnet, account.address)
        keystore.new(name, CITY_PASSPHRASE, private_key=account.key)
        people.append(account)
    return SharingCity(built, home, people[0], people[1])


@pytest.fixture(name="srun")
def srun_fixture(sharing_city: SharingCity, city_run: CityRun) -> CityRun:
    """``city_run`` on the city with its catalog (HRSS.PENSION, .MEDICAL, .POLICY, .INTERNAL)."""
    return city_run


def advance(devnet_url: str, seconds: int) -> None:
    """Move the devnet's clock (reverted with the test's snapshot)."""
    rpc(devnet_url, "evm_increaseTime", [seconds])
    rpc(devnet_url, "evm_mine", [])
