"""The reference city of ../shared/DESIGN.md: its departments, their keys, deployed and staffed.

Used by ``make demo`` and by the tests that drive the CLI against a real devnet, so both play on
the same platform: seven departments of Hangzhou (GB/T 2260 codes 330100 city, 330102 Shangcheng
district), a council of the Big Data Bureau, Public Security and HRSS (2 of 3), and per department
an ADMIN, a STAFF member, three APPROVERs and an AUDITOR, each with an encrypted keystore named
``<dept>-<role>`` (``hrss-admin``, ``civil-approver2``...).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from eth_account import Account
from eth_account.signers.local import LocalAccount

from govchain.deploy import DeployConfig, DeployReport, FounderSpec, department_code, deploy
from govchain.keystore import Keystore
from govchain.network import Connection
from govchain.tx import Sender

ROLE_STAFF, ROLE_APPROVER, ROLE_ADMIN, ROLE_AUDITOR = 1, 2, 4, 8


@dataclass(frozen=True)
class DepartmentInfo:
    code: str
    name: str
    name_zh: str
    region: int


DEPARTMENTS: tuple[DepartmentInfo, ...] = (
    DepartmentInfo("BDB", "Big Data Bureau", "大数据局", 330100),
    DepartmentInfo("PSB", "Public Security Bureau", "公安局", 330100),
    DepartmentInfo("HRSS", "Human Resources and Social Security Bureau", "人社局", 330100),
    DepartmentInfo("HOUSING", "Housing and Construction Bureau", "住建局", 330102),
    DepartmentInfo("DPF", "Disabled Persons' Federation", "残联", 330102),
    DepartmentInfo("CIVIL", "Civil Affairs Bureau", "民政局", 330102),
    DepartmentInfo("FINANCE", "Finance Bureau", "财政局", 330100),
)
COUNCIL = ("BDB", "PSB", "HRSS")
COUNCIL_THRESHOLD = 2
APPROVERS = 3


@dataclass
class DepartmentKeys:
    info: DepartmentInfo
    admin: LocalAccount
    staff: LocalAccount
    approvers: list[LocalAccount]
    auditor: LocalAccount

    def key_name(self, role: str) -> str:
        """The keystore name of a role (``admin``, ``staff``, ``approver1``..., ``auditor``)."""
        return f"{self.info.code.lower()}-{role}"


@dataclass
class City:
    """A deployed, staffed reference platform."""

    connection: Connection
    report: DeployReport
    departments: dict[str, DepartmentKeys] = field(default_factory=dict)

    def contract(self, name: str) -> object:
        return self.connection.contract(name)


def _accounts() -> dict[str, DepartmentKeys]:
    return {
        info.code: DepartmentKeys(
            info,
            Account.create(),
            Account.create(),
            [Account.create() for _ in range(APPROVERS)],
            Account.create(),
        )
        for info in DEPARTMENTS
    }


def staff(connection: Connection, keys: DepartmentKeys) -> list[str]:
    """The department's ADMIN offers its STAFF, APPROVERs and AUDITOR their roles and each key
    accepts (a key joins a department only with its consent); returns the tx hashes."""
    registry = connection.contract("DepartmentRegistry")
    sender = Sender(connection.w3, keys.admin, connection.decoder())
    dept = department_code(keys.info.code)
    members = [(keys.staff, ROLE_STAFF), (keys.auditor, ROLE_AUDITOR)]
    members += [(a, ROLE_APPROVER) for a in keys.approvers]
    hashes = []
    for account, roles in members:
        offered = sender.transact(registry.functions.addMember(account.address, roles))
        joiner = Sender(connection.w3, account, connection.decoder())
        accepted = joiner.transact(registry.functions.acceptMembership(dept))
        hashes += [offered["transactionHash"].to_0x_hex(), accepted["transactionHash"].to_0x_hex()]
    return hashes


def deploy_config(
    departments: dict[str, DepartmentKeys],
    endpoints: dict[str, str],
    join_later: Sequence[str] = (),
) -> DeployConfig:
    return DeployConfig(
        council_members=tuple(departments[code].admin.address for code in COUNCIL),
        threshold=COUNCIL_THRESHOLD,
        founders=tuple(
            FounderSpec(
                code=keys.info.code,
                name=keys.info.name,
                region=keys.info.region,
                admin=keys.admin.address,
                endpoint=endpoints.get(keys.info.code, ""),
            )
            for keys in departments.values()
            if keys.info.code not in join_later
        ),
    )


def build_city(
    connection: Connection,
    deployer: LocalAccount,
    fund: Callable[[str], None],
    *,
    keystore: Keystore | None = None,
    passphrase: str = "",
    endpoints: dict[str, str] | None = None,
    join_later: Sequence[str] = (),
    progress: Callable[[str], None] | None = None,
) -> City:
    """Deploy afresh, then let each department's ADMIN add its staff, approvers and auditor.

    Departments named in ``join_later`` are not founders: their keys are made (and saved) but
    they still have to be proposed and admitted by the council, then staffed (:func:`staff`).

    ``fund`` gives an address gas money (``anvil_setBalance`` on a devnet; a no-op on a
    zero-fee chain). With a ``keystore`` every key is saved encrypted under ``passphrase``.
    """
    departments = _accounts()
    say = progress or (lambda _message: None)
    for keys in departments.values():
        for account in (keys.admin, keys.staff, *keys.approvers, keys.auditor):
            fund(account.address)
    report = deploy(
        connection,
        deployer,
        deploy_config(departments, endpoints or {}, join_later),
        fresh=True,
        progress=progress,
    )
    for keys in departments.values():
        if keys.info.code not in join_later:
            staff(connection, keys)
            say(f"{keys.info.code}: admin, staff, {len(keys.approvers)} approvers and an auditor")
    if keystore is not None:
        for keys in departments.values():
            named = {"admin": keys.admin, "staff": keys.staff, "auditor": keys.auditor}
            named |= {f"approver{i + 1}": a for i, a in enumerate(keys.approvers)}
            for role, account in named.items():
                keystore.new(keys.key_name(role), passphrase, private_key=account.key)
    return City(connection, report, departments)
