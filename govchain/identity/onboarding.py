"""Onboarding a department: one application, driven to completion from the chain's state.

A joining department describes itself once in an :class:`~govchain.identity.application.Application`
(usually a TOML file, :func:`~govchain.identity.application.load_application`): code, name,
region, data-node endpoint, its first ADMIN, the member keys and roles it wants and the catalog
entries it will own. :meth:`Onboarding.advance` compares the application with the chain and
takes the missing steps:

1. propose the department, with the hash of the application document as its on-chain metadata
   hash, so that the council reviews exactly the document the department sent;
2. wait while the council admits it (:mod:`govchain.identity.admission`);
3. offer each member its roles (and accept for the member keys the caller holds), set the roles
   of members whose roles the file changed, remove the members the file no longer lists (all
   but the first ADMIN who signs), register or update the catalog entries and set the endpoint.

Every step is read back from the chain before it is taken: a re-run after success sends
nothing, and a run cut short anywhere (a crash, a lost connection) resumes where it stopped,
because nothing is kept anywhere but on chain. The file is the truth for the department's
members: a key added by hand (``govchain dept add-member``) and not written into the file is
removed by the next run. An offer to a key the file no longer lists cannot be withdrawn (the
registry has no such call); if the key accepts it, the next run removes it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from govchain import validate
from govchain.identity.application import Application, MemberSpec
from govchain.identity.base import ROLE_ADMIN, Refused, hex32, role_names
from govchain.identity.departments import Departments, DepartmentStatus, as_code
from govchain.network import Connection
from govchain.sharing.anchors import AnchorRegistry
from govchain.tx import Sender


@dataclass(frozen=True)
class Step:
    """One step of an onboarding run: ``done`` (found on chain), ``sent`` (a transaction now)
    or ``waiting`` (for someone else: the council, or a member key to accept)."""

    name: str
    state: str
    detail: str
    tx: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"step": self.name, "state": self.state, "detail": self.detail, "tx": self.tx}


@dataclass
class Progress:
    code: str
    steps: list[Step] = field(default_factory=list)

    @property
    def status(self) -> str:
        """``joined`` (everything on chain), ``awaiting-admission`` or ``awaiting-members``."""
        if any(s.name == "admission" and s.state == "waiting" for s in self.steps):
            return "awaiting-admission"
        if any(s.state == "waiting" for s in self.steps):
            return "awaiting-members"
        return "joined"

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "status": self.status,
            "sent": sum(s.state == "sent" for s in self.steps),
            "steps": [s.as_dict() for s in self.steps],
        }


class Onboarding:
    """Drive ``application`` forward, signing with the department's first ADMIN (``sender``);
    ``member_signer`` gives the sender of a member key the caller holds (None if it does not),
    asked only for a member that still has to accept its offer."""

    def __init__(
        self,
        connection: Connection,
        sender: Sender,
        application: Application,
        member_signer: Callable[[MemberSpec], Sender | None] | None = None,
    ) -> None:
        self.connection = connection
        self.sender = sender
        self.app = application
        self.member_signer = member_signer or (lambda _member: None)
        self.departments = Departments(connection, sender)
        self.raw = as_code(application.code)

    def _status(self) -> DepartmentStatus:
        return self.departments.status(self.raw)

    def advance(self, wait: float = 0, poll: float = 1.0) -> Progress:
        """Take every missing step; wait up to ``wait`` seconds for the council's admission."""
        progress = Progress(self.app.code)
        signer = validate.address(self.sender.address)
        if signer != self.app.admin:
            raise Refused(
                f"the application names {self.app.admin} as {self.app.code}'s first ADMIN; "
                f"sign with that key, not {signer}"
            )
        status = self._propose(progress)
        deadline = time.monotonic() + wait
        while status == DepartmentStatus.PROPOSED and time.monotonic() < deadline:
            time.sleep(poll)
            status = self._status()
        if status == DepartmentStatus.PROPOSED:
            progress.steps.append(
                Step(
                    "admission",
                    "waiting",
                    f"the council admits it with 'govchain council review --approve "
                    f"{self.app.code}'; then run this again",
                )
            )
            return progress
        if status != DepartmentStatus.ACTIVE:
            raise Refused(f"department {self.app.code} is {status.label}, not Active")
        progress.steps.append(Step("admission", "done", f"{self.app.code} is Active"))
        self._members(progress)
        self._removals(progress)
        self._catalog(progress)
        self._endpoint(progress)
        return progress

    def _propose(self, progress: Progress) -> DepartmentStatus:
        status = self._status()
        fresh = status == DepartmentStatus.NONE or (
            status == DepartmentStatus.RETIRED and not self.departments._ever_active(self.raw)
        )
        if fresh:
            sent = self.departments.propose(
                self.raw,
                self.app.name,
                self.app.region,
                self.app.admin,
                self.app.endpoint,
                self.app.metadata_hash,
            )
            progress.steps.append(
                Step("propose", "sent", f"{self.app.code} proposed", sent.tx_hash)
            )
            return self._status()
        if status in (DepartmentStatus.SUSPENDED, DepartmentStatus.RETIRED):
            raise Refused(f"department {self.app.code} is {status.label}: it cannot join again")
        if self.departments.roles_of(self.raw, self.app.admin) & ROLE_ADMIN == 0:
            raise Refused(
                f"department {self.app.code} exists already and {self.app.admin} is not its ADMIN"
            )
        if status == DepartmentStatus.PROPOSED:
            on_chain = self.departments.department(self.raw).metadata_hash
            if on_chain != self.app.metadata_hash:
                raise Refused(
                    f"{self.app.code} was proposed with another application (metadata "
                    f"{hex32(on_chain)}, this file {hex32(self.app.metadata_hash)}): restore "
                    f"that file, or withdraw ('govchain dept withdraw-proposal "
                    f"{self.app.code}') and join again"
                )
        progress.steps.append(Step("propose", "done", f"{self.app.code} is {status.label}"))
        return status

    def _members(self, progress: Progress) -> None:
        for member in self.app.members:
            name = f"member {member.address}"
            wanted = ",".join(role_names(member.roles))
            roles = self.departments.roles_of(self.raw, member.address)
            if roles == member.roles:
                progress.steps.append(Step(name, "done", f"{wanted} of {self.app.code}"))
                continue
            if roles:
                sent = self.departments.set_member_roles(member.address, member.roles)
                progress.steps.append(Step(name, "sent", f"roles set to {wanted}", sent.tx_hash))
                continue
            offered, _admin = self.departments.offer_of(member.address, self.raw)
            tx = None
            if offered != member.roles:
                tx = self.departments.add_member(member.address, member.roles).tx_hash
            signer = self.member_signer(member)
            if signer is None:
                who = member.key or member.address
                progress.steps.append(
                    Step(
                        name,
                        "waiting",
                        f"offered {wanted}; the key joins with 'govchain --key {who} dept "
                        f"accept {self.app.code}'",
                        tx,
                    )
                )
                continue
            accepted = Departments(self.connection, signer).accept(self.raw)
            progress.steps.append(Step(name, "sent", f"joined as {wanted}", accepted.tx_hash))

    def _removals(self, progress: Progress) -> None:
        """Remove the members the file no longer lists (never the ADMIN who signs the run)."""
        listed = {m.address for m in self.app.members} | {self.app.admin}
        for member in self.departments.members(self.raw):
            if member.account in listed:
                continue
            sent = self.departments.remove_member(member.account)
            roles = ",".join(member.role_list)
            progress.steps.append(
                Step(
                    f"member {member.account}",
                    "sent",
                    f"removed ({roles}): the file no longer lists it",
                    sent.tx_hash,
                )
            )

    def _catalog(self, progress: Progress) -> None:
        registry = AnchorRegistry(self.connection, self.sender)
        for spec in self.app.catalog:
            name = f"catalog {spec.code}"
            current = registry.category_info(spec.code)
            if current is None:
                sent = registry.add_category(spec)
                progress.steps.append(
                    Step(name, "sent", f"registered ({spec.sharing.name})", sent.tx_hash)
                )
                continue
            if current.owner != self.app.code:
                raise Refused(f"category {spec.code} belongs to {current.owner}")
            same = (current.sharing, current.sensitive, current.schema_hash, current.update_cycle)
            if same == (spec.sharing, spec.sensitive, spec.schema_hash, spec.update_cycle):
                progress.steps.append(Step(name, "done", f"registered ({spec.sharing.name})"))
                continue
            sent = registry.update_category(spec)
            progress.steps.append(
                Step(name, "sent", f"updated ({spec.sharing.name})", sent.tx_hash)
            )

    def _endpoint(self, progress: Progress) -> None:
        current = self.departments.department(self.raw).endpoint
        if current == self.app.endpoint:
            progress.steps.append(Step("endpoint", "done", self.app.endpoint or "(none)"))
            return
        sent = self.departments.set_endpoint(self.app.endpoint)
        progress.steps.append(Step("endpoint", "sent", self.app.endpoint, sent.tx_hash))
