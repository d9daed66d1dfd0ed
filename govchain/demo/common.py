"""What the demo's chapters share: its constants, the citizen's holdings, small formatters and
the failure it raises."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from govchain.demo import persona
from govchain.errors import GovchainError
from govchain.sharing import SharingClass, category_code

DAY = 24 * 3600
ACTIVE = 2  # IDepartmentRegistry.DepartmentStatus.Active
PASSPHRASE = "demo passphrase (a throwaway home)"  # noqa: S105 (demo keys, deleted after)
LATE_DEPARTMENT = "DPF"  # joins through the council during the scenario
OWNERS = ("HRSS", "HOUSING", "DPF")
NODES = ("HRSS", "HOUSING", "DPF", "CIVIL")
OTHER_PENSIONERS = 250  # anchored in one Merkle batch next to the citizen's own record


@dataclass(frozen=True)
class Holding:
    """One record the citizen's application relies on."""

    owner: str
    category: bytes
    record_id: bytes
    content: dict[str, Any]


HOLDINGS = (
    Holding("HRSS", category_code("HRSS.PENSION"), b"PEN-2012-0417-88".ljust(32, b"\0"), {}),
    Holding("HOUSING", category_code("HOUSING.PROPERTY"), b"PROP-330102-5531".ljust(32, b"\0"), {}),
    Holding("DPF", category_code("DPF.DISABILITY"), b"DIS-330102-0091".ljust(32, b"\0"), {}),
)
CONTENTS = {
    "HRSS": persona.pension_record,
    "HOUSING": persona.property_record,
    "DPF": persona.disability_certificate,
}
CATALOG = (
    ("HRSS", "HRSS.PENSION", SharingClass.CONDITIONAL, False, 30),
    ("HOUSING", "HOUSING.PROPERTY", SharingClass.CONDITIONAL, False, 1),
    ("DPF", "DPF.DISABILITY", SharingClass.CONDITIONAL, True, 365),
    ("HRSS", "HRSS.BANK_ACCOUNT", SharingClass.NOT_SHARED, True, 0),
)


def access_count(report: Any) -> int:
    """How many accesses a ``govchain audit access --json`` report lists."""
    if isinstance(report, dict) and isinstance(report.get("entries"), list):
        return len(report["entries"])
    raise DemoFailure(f"unexpected audit access report: {str(report)[:200]}")


def short(value: bytes | str, keep: int = 10) -> str:
    text = value if isinstance(value, str) else "0x" + value.hex()
    return text if len(text) <= keep + 6 else f"{text[:keep]}…{text[-4:]}"


def label(code: bytes) -> str:
    return code.rstrip(b"\0").decode()


class DemoFailure(GovchainError):
    """The scenario saw something the platform must prevent."""
