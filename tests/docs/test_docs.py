"""The docs cannot drift: the CLI reference is regenerated and compared, and every command of
the walkthrough runs, in order, against a real devnet."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from govchain.toolchain import cli_doc
from govchain.toolchain.devnet import Devnet, DevnetConfig, free_port
from govchain.toolchain.paths import PROJECT_ROOT
from tests.docs.console import Command, commands, script

DOCS = PROJECT_ROOT / "docs"


def test_console_blocks_yield_commands_with_their_expected_exit_codes(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "text\n```console\n$ make devnet\n$ govchain keys list\nsample output\n"
        "$ govchain deploy \\\n    --config c.json\n$ govchain dept show NOPE  # exits 2\n```\n"
        "```sh\n$ not run\n```\n"
    )
    assert commands(page) == [
        Command(4, "govchain keys list"),
        Command(6, "govchain deploy \\\n    --config c.json"),
        Command(8, "govchain dept show NOPE", 2),
    ]
    assert "expected exit 2" in script(page)


def test_the_cli_reference_is_generated_from_the_current_commands() -> None:
    assert (DOCS / "cli.md").read_text() == cli_doc.render(), (
        "docs/cli.md is stale: run python -m govchain.toolchain.cli_doc"
    )


def on_free_ports(text: str) -> str:
    """The script with each ``--port N`` the docs show moved to a free port (the same N to the
    same port), so parallel test workers and a developer's own nodes cannot collide."""
    chosen: dict[str, int] = {}

    def replace(match: re.Match[str]) -> str:
        if match[1] not in chosen:
            port = free_port()
            while port in chosen.values():
                port = free_port()
            chosen[match[1]] = port
        return f"--port {chosen[match[1]]}"

    return re.sub(r"--port (\d+)\b", replace, text)


def test_the_walkthrough_runs_on_free_ports() -> None:
    text = on_free_ports("a --port 8701 &\nb --port 8702\nc --port 8701\n")
    first, second, third = (int(p) for p in re.findall(r"--port (\d+)", text))
    assert first == third != second
    assert 8701 not in (first, second)


@pytest.mark.timeout(1500)  # ~190 commands, each a CLI process; minutes on a loaded machine
def test_every_command_of_the_walkthrough_runs(tmp_path: Path) -> None:
    walkthrough = DOCS / "walkthrough.md"
    assert len(commands(walkthrough)) >= 30
    (tmp_path / "docs").symlink_to(DOCS)
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env |= {
        "GOVCHAIN_HOME": str(tmp_path / ".govchain"),
        "GOVCHAIN_PASSPHRASE": "walkthrough passphrase",
        "GOVCHAIN_KDF": "pbkdf2",
        "GOVCHAIN_KDF_ITERATIONS": "2",
    }
    env.pop("GOVCHAIN_KEY", None)
    with Devnet(DevnetConfig(port=free_port(), zero_fee=True)) as devnet:
        env["GOVCHAIN_RPC"] = devnet.url
        # its own session, so the data nodes it starts in the background go with it
        process = subprocess.Popen(
            ["bash", "-c", on_free_ports(script(walkthrough))],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            stdout, stderr = process.communicate(timeout=1400)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
    if process.returncode != 0:
        pytest.fail(f"{stderr[-3000:]}\n--- stdout ---\n{stdout[-3000:]}")
