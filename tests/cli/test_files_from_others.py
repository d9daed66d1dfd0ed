"""Files someone else wrote end in one readable line, never a traceback (review s27 L-2).

Every command that reads a file another party wrote (a credential, an evidence bundle, a signed
rule / service / case decision / objection decision, a citizen's signed consent) reads it with
:func:`govchain.files.read_json`: JSON nested past Python's recursion limit (``[[[[…]]]]``) is
refused like any other file that is not JSON. The commands run in a child process, as a user
runs them: with Python's default recursion limit (this test process has py_ecc's 100,000).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from govchain.toolchain.devnet import Devnet
from govchain.toolchain.paths import PROJECT_ROOT
from tests.cli.conftest import devnet  # noqa: F401 (fixture)

DEEP = "[" * 100_000 + "]" * 100_000
NOBODY = "http://127.0.0.1:9"  # only vc verify connects before it reads its file


def _govchain(home: Path, *argv: str, rpc: str = NOBODY) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),
        "GOVCHAIN_HOME": str(home / ".govchain"),
        "GOVCHAIN_RPC": rpc,
    }
    env.pop("GOVCHAIN_KEY", None)
    return subprocess.run(
        [sys.executable, "-m", "govchain.cli", *argv],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _one_line(done: subprocess.CompletedProcess[str], code: int, *fragments: str) -> None:
    """Exit ``code``, one ``error:`` line on stderr naming ``fragments``, no traceback."""
    assert done.returncode == code, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.mark.parametrize(
    ("argv", "code", "said"),
    [
        (("vc", "disclose", "{f}", "--only", "a", "--out", "{out}"), 1, "credential refused"),
        (("evidence", "verify", "{f}"), 1, "evidence refused"),
        (("rule", "register", "{f}"), 2, "signed rule change file"),
        (("offer", "register", "{f}"), 2, "signed service change file"),
        (("case", "submit", "0x" + "11" * 32, "0", "{f}"), 2, "signed decision file"),
        (("objection", "decide", "0x" + "22" * 32, "--signatures", "{f}"), 2, "decision file"),
        (("grant", "submit", "{f}"), 2, "consent file"),
    ],
    ids=lambda a: " ".join(a[:2]) if isinstance(a, tuple) else "",
)
def test_a_deeply_nested_file_is_one_line(
    tmp_path: Path, argv: tuple[str, ...], code: int, said: str
) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text(DEEP)
    done = _govchain(tmp_path, *(a.format(f=deep, out=tmp_path / "out.json") for a in argv))
    _one_line(done, code, said, "not JSON (nested too deeply)")
    assert not (tmp_path / "out.json").exists()


def test_vc_verify_of_a_deeply_nested_file_is_not_verified(
    tmp_path: Path,
    devnet: Devnet,  # noqa: F811
) -> None:
    """``vc verify`` opens its connection before it reads the file: a real node answers."""
    deep = tmp_path / "deep.json"
    deep.write_text(DEEP)
    done = _govchain(tmp_path, "vc", "verify", str(deep), rpc=devnet.url)
    _one_line(done, 1, "NOT VERIFIED", "nested too deeply")


@pytest.mark.parametrize("credential", ['["a"]', '{"credentialSubject": 5}', "5", '{"type": []}'])
def test_vc_disclose_of_a_misshapen_credential_is_refused(tmp_path: Path, credential: str) -> None:
    path = tmp_path / "vc.json"
    path.write_text(credential)
    done = _govchain(tmp_path, "vc", "disclose", str(path), "--only", "a", "--out", "o.json")
    _one_line(done, 1, "credential refused", "not a govchain attestation credential")
    assert not (tmp_path / "o.json").exists()


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("signature", '"0xnothex"', "signature"),
        ("signature", "5", "signature"),
        ("rule_id", '"0x12"', "rule_id"),
        ("benefit", '"zz"', "benefit"),
        ("deadline", '"soon"', "deadline"),
    ],
)
def test_offer_register_of_a_field_that_is_not_hex_is_one_line(
    tmp_path: Path, field: str, value: str, said: str
) -> None:
    """A ``govchain.service.change/3`` file whose signature, rule id or benefit is not hex is
    refused while it is read, before any connection (the node here listens nowhere)."""
    fields = {
        "format": '"govchain.service.change/3"',
        "signer": '"0x000000000000000000000000000000000000dEaD"',
        "department": '"CIVIL"',
        "name": '"allowance"',
        "deadline": "1",
        "rule_id": "null",
        "benefit": "null",
        "valid_for_seconds": "0",
        "signature": '"0x' + "11" * 65 + '"',
        field: value,
    }
    signed = tmp_path / "svc.json"
    signed.write_text("{" + ", ".join(f'"{k}": {v}' for k, v in fields.items()) + "}")
    done = _govchain(tmp_path, "offer", "register", str(signed))
    _one_line(done, 2, "signed service change file", said)
