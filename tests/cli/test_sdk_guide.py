"""docs/sdk.md's guide cannot drift: its Python blocks run, in order, as one program against a
devnet with the reference city deployed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from govchain.toolchain.paths import PROJECT_ROOT
from tests.cli.conftest import CITY_PASSPHRASE, CityRun

GUIDE = PROJECT_ROOT / "docs" / "sdk.md"


def guide_code() -> str:
    text = GUIDE.read_text()
    guide = text[text.index("## Guide: a department client and a citizen client") :]
    return "\n".join(re.findall(r"^```python\n(.*?)^```", guide, re.M | re.S))


def test_the_guide_has_code() -> None:
    code = guide_code()
    assert "sign_consent" in code and "AnchorWorker" in code and "access_trail" in code


def test_the_sdk_guide_runs(city_run: CityRun, tmp_path: Path) -> None:
    env = dict(os.environ)
    env.update(
        GOVCHAIN_HOME=str(city_run.home),
        GOVCHAIN_PASSPHRASE=CITY_PASSPHRASE,
        GOVCHAIN_RPC=str(city_run.rpc),
        PYTHONPATH=str(PROJECT_ROOT),
    )
    done = subprocess.run(
        [sys.executable, "-c", guide_code()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "'HRSS'" in done.stdout and "grant" in done.stdout
