"""Which decoded arguments fill the indexed columns of the ``events`` table.

Edit the two tables below to follow new contracts; nothing else in the indexer names an
argument. An argument fills a column when its own name (the last part of its path, so nested
struct fields count: ``terms.route[0].department``) is listed for that column and its ABI type
is the column's; a qualified ``"Event.arg"`` entry in :data:`ARG_OVERRIDES` wins over the plain
name (``None`` there means: no column). Zero values (the zero address, zero bytes32) are absent,
not values. A scalar column takes the first matching argument in ABI order; every matching
department argument also goes to the ``event_departments`` table, so an access record is found
both under its owner and under its grantee department.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from govchain.indexer.abi import Leaf

#: column -> argument names that fill it
COLUMN_ARGS: Mapping[str, tuple[str, ...]] = {
    "subject": ("subject", "identity", "applicant", "citizen", "applicantCitizen"),
    "department": (
        "department",
        "dept",
        "code",
        "owner",
        "grantee",
        "ownerDepartment",
        "granteeDepartment",
        "acceptingDepartment",
        "applicantDepartment",
    ),
    "case_id": ("caseId",),
    "grant_id": ("grantId",),
    "attestation_uid": ("uid", "attestationUid"),
    "category": ("category",),
}

#: "Event.arg" -> column (or None: not extracted), overriding COLUMN_ARGS for that event
ARG_OVERRIDES: Mapping[str, str | None] = {
    # the data catalog's `code` is a category code, not a department code
    "CategoryRegistered.code": "category",
    "CategoryUpdated.code": "category",
    # a schema's uid is not an attestation's
    "SchemaRegistered.uid": None,
}

#: the ABI type a column accepts
COLUMN_TYPES: Mapping[str, str] = {
    "subject": "address",
    "department": "bytes32",
    "case_id": "bytes32",
    "grant_id": "bytes32",
    "attestation_uid": "bytes32",
    "category": "bytes32",
}

COLUMNS: tuple[str, ...] = tuple(COLUMN_ARGS)

_ZERO = {"0x" + "0" * 40, "0x" + "0" * 64}


@dataclass(frozen=True)
class Extracted:
    """The column values of one event, and all its department arguments (path, code)."""

    columns: dict[str, str | None]
    departments: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ColumnPlan:
    """The column mapping compiled for lookups: (event, arg name) -> column, cached."""

    column_args: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: COLUMN_ARGS)
    overrides: Mapping[str, str | None] = field(default_factory=lambda: ARG_OVERRIDES)
    _by_name: dict[str, str] = field(init=False, default_factory=dict)
    _cache: dict[tuple[str, str, str], str | None] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        for column, names in self.column_args.items():
            for name in names:
                self._by_name.setdefault(name, column)

    def column_of(self, event: str, name: str, typ: str) -> str | None:
        key = (event, name, typ)
        if key not in self._cache:
            qualified = f"{event}.{name}"
            column = (
                self.overrides[qualified]
                if qualified in self.overrides
                else self._by_name.get(name)
            )
            if column is not None and COLUMN_TYPES.get(column, typ) != typ:
                column = None
            self._cache[key] = column
        return self._cache[key]

    def extract(self, event: str, leaves: Iterable[Leaf]) -> Extracted:
        columns: dict[str, str | None] = dict.fromkeys(COLUMNS)
        departments: list[tuple[str, str]] = []
        for leaf in leaves:
            column = self.column_of(event, leaf.name, leaf.type)
            if column is None or leaf.value in _ZERO:
                continue
            value = str(leaf.value)
            if columns.get(column) is None:
                columns[column] = value
            if column == "department":
                departments.append((leaf.path, value))
        return Extracted(columns, departments)
