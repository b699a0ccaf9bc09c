"""Run the real `dpzoo` console script in a subprocess, as a user would."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def run_dpzoo(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    exe = shutil.which("dpzoo") or str(Path(sys.executable).with_name("dpzoo"))
    return subprocess.run(
        [exe, *args], cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def dpzoo_cli():
    return run_dpzoo
