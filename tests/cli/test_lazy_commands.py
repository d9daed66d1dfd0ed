"""The root command loads a command group's module only when that group runs."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import click
import pytest

from govchain.cli.app import COMMANDS, cli, load_command

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("web3", "eth_account", "eth_utils", "sqlalchemy", "fastapi", "httpx", "rich")


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_each_help_line_is_the_groups_own(path: str) -> None:
    module_name, line = COMMANDS[path]
    group = importlib.import_module(module_name).group
    assert line == group.get_short_help_str(limit=1000)
    assert group.name == path.split(" ")[-1]


def test_nested_groups_are_added_to_their_parent() -> None:
    citizen = load_command("citizen")
    assert isinstance(citizen, click.Group) and "data" in citizen.commands
    assert cli.get_command(click.Context(cli), "citizen") is citizen


def _modules_after(args: list[str]) -> set[str]:
    code = (
        "import sys\n"
        "from govchain.cli.app import cli\n"
        f"cli.main({args!r}, standalone_mode=False)\n"
        f"print('loaded:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr
    loaded = result.stdout.strip().splitlines()[-1].removeprefix("loaded:")
    return set(filter(None, loaded.split(",")))


def test_help_imports_no_library_a_command_needs() -> None:
    assert _modules_after(["--help"]) == set()
    assert _modules_after(["--version"]) == set()
