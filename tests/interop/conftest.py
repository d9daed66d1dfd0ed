"""Interop fixtures: the CLI's reference city on a real anvil (shared with tests/cli)."""

from __future__ import annotations

from tests.cli.conftest import city, city_run, devnet, env, run  # noqa: F401 (fixtures)
