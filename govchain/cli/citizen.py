"""``govchain citizen``: a citizen's self-sovereign identity and personal data space."""

from __future__ import annotations

import click


@click.group("citizen")
def group() -> None:
    """A citizen's identity (key rotation, delegates, guardians, recovery) and own data."""
