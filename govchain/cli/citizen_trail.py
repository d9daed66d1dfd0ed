"""``govchain citizen trail``: what has been asked and decided about a citizen's own data —
her objections (filed by her or her agent), their deciding department, state and deadline."""

from __future__ import annotations

import click

from govchain.cli.context import CliContext, pass_cli
from govchain.cli.identity_params import own_address
from govchain.cli.objection import _line
from govchain.services.objections import Objections

parent = "citizen"


@click.command("trail")
@click.option("--for", "identity", help="the citizen's identity (default: the --key's address)")
@pass_cli
def group(obj: CliContext, identity: str | None) -> None:
    """The citizen's trail: her objections and where each stands."""
    subject = own_address(obj, identity, "whose trail")
    found = Objections(obj.connection()).find(subject=subject)
    obj.emit(
        {"subject": subject, "objections": [o.as_dict() for o in found]},
        lambda: (
            "\n".join(["objections:", *(f"  {_line(o)}" for o in found)])
            if found
            else f"{subject}: no objections"
        ),
    )
