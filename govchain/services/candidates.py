"""The eligibility watcher's question to the index: only the attestations its services' rules
name.

A rule requirement is (schema, issuing departments, maximum age). The watcher needs, per
requirement, the ``Attested`` events of that schema issued by one of those departments, and of
those only the ``Revoked`` events of the uids found. Both are SQL filters on the event index
(:mod:`govchain.indexer`): the department through the ``event_departments`` link table's index
(department, event, block, log index), the schema through the event's decoded ``schema``
argument (a JSON field: SQLite ``json_extract``, PostgreSQL ``->>``), the revocations through the
``attestation_uid`` column's index. An attestation of any other schema or issuer is never read
into Python, however many the index holds (:class:`Scan` counts what was read).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, and_, select

from govchain import validate
from govchain.indexer.schema import event_departments, events
from govchain.services.rules import Evidence, Requirement

#: how many uids one ``IN (…)`` of the revocation query names
_CHUNK = 500


@dataclass
class Scan:
    """What one read of the index cost: rows of ``Attested`` and ``Revoked`` read."""

    attested: int = 0
    revoked: int = 0


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def wanted(requirements: Iterable[Requirement]) -> dict[bytes, set[bytes]]:
    """Schema -> the departments any requirement accepts as its issuer."""
    out: dict[bytes, set[bytes]] = {}
    for req in requirements:
        out.setdefault(req.schema, set()).update(req.departments)
    return out


def attestations(
    index: Engine, chain_id: int, schemas: dict[bytes, set[bytes]], scan: Scan | None = None
) -> tuple[dict[str, list[Evidence]], set[bytes]]:
    """The uid preimages of the indexed attestations of ``schemas`` (each by one of its
    departments), by subject, and which of them are revoked."""
    scan = scan if scan is not None else Scan()
    by_subject: dict[str, list[Evidence]] = {}
    uids: list[str] = []
    d = event_departments
    joined = d.join(
        events,
        and_(
            events.c.chain_id == d.c.chain_id,
            events.c.block_number == d.c.block_number,
            events.c.log_index == d.c.log_index,
        ),
    )
    with index.connect() as conn:
        for schema, departments in sorted(schemas.items()):
            query = (
                select(events.c.args, events.c.block_timestamp, events.c.attestation_uid)
                .select_from(joined)
                .where(
                    d.c.chain_id == chain_id,
                    d.c.event == "Attested",
                    d.c.department.in_(sorted(_hex(x) for x in departments)),
                    events.c.args["schema"].as_string() == _hex(schema),
                )
                .order_by(d.c.block_number, d.c.log_index)
            )
            for args, issued_at, uid in conn.execute(query):
                scan.attested += 1
                ev = Evidence(
                    schema=bytes.fromhex(args["schema"][2:]),
                    subject=validate.address(args["subject"]),
                    attester=validate.address(args["attester"]),
                    department=bytes.fromhex(args["department"][2:]),
                    data_hash=bytes.fromhex(args["dataHash"][2:]),
                    expiry=int(args["expiry"]),
                    ref_uid=bytes.fromhex(args["refUID"][2:]),
                    issued_at=int(issued_at or 0),
                )
                by_subject.setdefault(ev.subject, []).append(ev)
                if uid:
                    uids.append(uid)
        revoked: set[bytes] = set()
        for start in range(0, len(uids), _CHUNK):
            closing = select(events.c.attestation_uid).where(
                events.c.chain_id == chain_id,
                events.c.event == "Revoked",
                events.c.attestation_uid.in_(uids[start : start + _CHUNK]),
            )
            for (uid,) in conn.execute(closing):
                scan.revoked += 1
                revoked.add(bytes.fromhex(uid[2:]))
    return by_subject, revoked


__all__ = ["Scan", "attestations", "wanted"]
