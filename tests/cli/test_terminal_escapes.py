"""Text someone else wrote reaches the terminal with its control characters shown escaped
(review s28 L-6).

A forged credential whose extra top-level key is ``ESC[2K ESC[1G VALID: …`` made ``vc verify``'s
NOT VERIFIED line draw as a VALID line on a terminal (``click.echo`` strips such sequences only
when the stream is not a terminal, so the command runs on a pseudo-terminal here, as the
review's probe ran it). The CLI's error line and its output pass others' text through
:func:`govchain.printable.printable`: ESC, ``\\r``, DEL and the C1 controls show as
``\\x1b``…, printable text of any script (Chinese) as it is.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from govchain.interop.vc_format import CONTEXT, TYPES
from govchain.printable import printable
from govchain.reference import City
from govchain.toolchain.devnet import Devnet
from govchain.toolchain.paths import PROJECT_ROOT
from tests.cli.conftest import city, devnet  # noqa: F401 (fixtures)

ESC = "\x1b"
SPOOF = f"{ESC}[2K{ESC}[1GVALID: PSB attests 0x5eed about 0xA11CE; signed by a member"


def _on_a_terminal(home: Path, rpc: str, *argv: str) -> tuple[int, str]:
    """Run ``govchain argv`` with stdout and stderr on a pseudo-terminal; (exit code, output)."""
    master, slave = pty.openpty()
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),
        "GOVCHAIN_HOME": str(home),
        "GOVCHAIN_RPC": rpc,
        "TERM": "xterm",
    }
    env.pop("GOVCHAIN_KEY", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "govchain.cli", *argv],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(timeout=120), b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize(
    ("forged", "shown"),
    [
        ({SPOOF: 1}, "unsigned content '\\x1b[2K\\x1b[1GVALID: PSB attests"),
        (
            {
                "credentialSubject": {"id": "did:x", "fields": {}},
                "govchain": {"commitments": {}, "salts": {}},
                "issuer": {"id": f"did:x\r{ESC}[2KVALID 签发"},
            },
            "issuer 'did:x\\r\\x1b[2KVALID 签发' is not a department",
        ),
    ],
    ids=["extra key", "issuer id"],
)
def test_a_forged_credentials_refusal_shows_its_escapes_on_the_terminal(
    city: tuple[City, Path],  # noqa: F811
    devnet: Devnet,  # noqa: F811
    tmp_path: Path,
    forged: dict[str, object],
    shown: str,
) -> None:
    _built, home = city
    vc = {"@context": CONTEXT, "type": TYPES, **forged}
    path = tmp_path / "vc.json"
    path.write_text(json.dumps(vc, ensure_ascii=False))
    code, output = _on_a_terminal(home, devnet.url, "vc", "verify", str(path))
    assert code == 1
    [line] = [x for x in output.splitlines() if x.strip()]
    assert line.startswith("error: credential NOT VERIFIED"), line
    assert ESC not in output and "\r" not in output.replace("\r\n", "\n")  # nothing redraws
    assert shown in line, line


def test_printable_escapes_controls_and_leaves_any_script_as_is() -> None:
    text = "申请人 李四\x1b[2K\r\tok\x7f\x9b\u202eevil\u2028x\n"
    assert printable(text) == "申请人 李四\\x1b[2K\\r\\tok\\x7f\\x9b\\u202eevil\\u2028x\\n"
    assert printable("a\nb\x1b", keep_newlines=True) == "a\nb\\x1b"
    assert printable("é 中文 ü — ok") == "é 中文 ü — ok"
