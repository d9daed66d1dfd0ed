"""Calldata of the council-only functions, each with a description (what a proposal does).

:class:`CouncilActions` builds the department registry's council-only calls (admit, suspend,
reinstate, retire, replaceAdmin, removeMemberByCouncil, markCompromised) and the council's own
(addMember, removeMember, changeThreshold, cancel) as :class:`~govchain.identity.council_proposals.Call`.
"""

from __future__ import annotations

from typing import Any

from govchain import validate
from govchain.errors import InvalidInput
from govchain.identity.base import ZERO_ADDRESS, Refused, code_text
from govchain.identity.council_proposals import Call
from govchain.identity.departments import Departments


class CouncilActions:
    """Calldata of the council-only functions, with a description of each."""

    def __init__(self, departments: Departments, council_address: str) -> None:
        self.departments = departments
        self.council_address = validate.address(council_address)

    def _registry(self, function: str, args: list[Any], description: str) -> Call:
        registry = self.departments.contract
        data = bytes.fromhex(registry.encode_abi(function, args)[2:])
        return Call(validate.address(registry.address), data, description)

    def status_change(self, action: str, code: str | bytes) -> Call:
        """``admit``, ``suspend``, ``reinstate`` or ``retire`` of a known department."""
        if action not in ("admit", "suspend", "reinstate", "retire"):
            raise InvalidInput("council action", action, "admit, suspend, reinstate or retire")
        raw = self.departments.require(code)
        return self._registry(action, [raw], f"{action} {code_text(raw)}")

    def admit(self, code: str | bytes) -> Call:
        return self.status_change("admit", code)

    def suspend(self, code: str | bytes) -> Call:
        return self.status_change("suspend", code)

    def reinstate(self, code: str | bytes) -> Call:
        return self.status_change("reinstate", code)

    def retire(self, code: str | bytes) -> Call:
        return self.status_change("retire", code)

    def replace_admin(self, code: str | bytes, old_admin: str | None, new_admin: str) -> Call:
        raw = self.departments.require(code)
        old = validate.address(old_admin) if old_admin else validate.address(ZERO_ADDRESS)
        new = validate.address(new_admin)
        return self._registry(
            "replaceAdmin",
            [raw, old, new],
            f"replace-admin {code_text(raw)} {old if old_admin else '(none)'} -> {new}",
        )

    def remove_member(self, account: str) -> Call:
        """Remove ``account`` from its department, whatever the department's status."""
        address = validate.address(account)
        member = self.departments.member_of(address)
        if member.department is None:
            raise Refused(f"{address} is in no department")
        return self._registry(
            "removeMemberByCouncil",
            [address],
            f"remove-member {address} from {code_text(member.department)}",
        )

    def mark_compromised(self, account: str) -> Call:
        """Mark ``account`` compromised: removed from its department, never to join again."""
        address = validate.address(account)
        if self.departments.compromised_since(address):
            raise Refused(f"{address} is marked compromised already")
        return self._registry("markCompromised", [address], f"mark-compromised {address}")

    def _council(self, contract: Any, function: str, args: list[Any], description: str) -> Call:
        data = bytes.fromhex(contract.encode_abi(function, args)[2:])
        return Call(self.council_address, data, description)
