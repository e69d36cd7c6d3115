"""The README is true: its Python blocks run as written, one after the other, from the
repository's root, with a fresh default knowledge base."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def test_the_readme_has_python_blocks() -> None:
    assert len(BLOCK.findall((ROOT / "README.md").read_text())) >= 3


@pytest.mark.xdist_group("readme")
def test_the_readmes_python_blocks_run_as_written(tmp_path: Path) -> None:
    script = "\n\n".join(BLOCK.findall((ROOT / "README.md").read_text()))
    env = {
        **os.environ,
        "XDG_DATA_HOME": str(tmp_path / "data"),  # the default knowledge base, fresh
        "ADVISOR_HOME": str(tmp_path / "home"),
        "MPLBACKEND": "Agg",
    }
    env.pop("ADVISOR_KB_URL", None)
    res = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert res.returncode == 0, res.stderr[-4000:]
    assert "best against default:" in res.stdout
