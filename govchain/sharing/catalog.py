"""Catalog codes and the enums of the sharing contracts (values match the Solidity enums)."""

from __future__ import annotations

from enum import IntEnum


class SharingClass(IntEnum):
    """National sharing classes (``IDataCatalog.SharingClass``); NONE marks an unknown category."""

    NONE = 0
    UNCONDITIONAL = 1  # 无条件共享
    CONDITIONAL = 2  # 有条件共享
    NOT_SHARED = 3  # 不予共享


class LegalBasis(IntEnum):
    """Legal basis of a grant (``IAccessGrants.LegalBasis``)."""

    CONSENT = 0
    STATUTORY_DUTY = 1
    OWNER_APPROVAL = 2


def category_code(name: str) -> bytes:
    """A category code: the name in ASCII right-padded with zero bytes to 32 (``HRSS.PENSION``)."""
    raw = name.encode("ascii")
    if not raw or len(raw) > 32:
        raise ValueError(f"category code must be 1 to 32 ASCII characters: {name!r}")
    return raw.ljust(32, b"\0")
