"""The reports in a real browser: headless Chromium renders them without a console message
or a subresource load, and the screenshot shows the figures.

Skipped without Chromium, unless ``ADVISOR_REQUIRE_BROWSER=1`` (then it fails)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from advisor.report import write_search_report, write_suggest_report
from advisor.search import SearchResult
from advisor.suggest import Advice

#: Console messages (``[...:INFO:CONSOLE:12] "text", source: ...``) in Chromium's log.
_CONSOLE = re.compile(r"^\[[^\]]*:CONSOLE[^\]]*\].*$", re.MULTILINE)
#: Files the page made the browser load (itself included).
_FILE_LOAD = re.compile(r"FileURLLoader::Start: (\S+)")
_BEST = (0x2C, 0xA0, 0x2C)  # the best-so-far line of the search history
_BOX = (0xE8, 0xED, 0xF5)  # the neighbours' boxes of the suggestion figure


def _chromium() -> str:
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if found is None:
        reason = "no Chromium (/usr/bin/chromium or chromium on PATH)"
        if os.environ.get("ADVISOR_REQUIRE_BROWSER") == "1":
            pytest.fail(f"ADVISOR_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(f"{reason}: the browser check needs it")
    return found


def render(page: Path, shot: Path, profile: Path) -> str:
    """Screenshot ``page`` at 1200x1600 with headless Chromium; its log (stderr)."""
    cmd = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=1",
        f"--screenshot={shot}",
        "--window-size=1200,1600",
        page.resolve().as_uri(),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.exists(), done.stderr[-2000:]
    return done.stderr


def _pixels(shot: Path) -> np.ndarray:
    from matplotlib import image

    img = image.imread(str(shot))  # floats in [0, 1]
    return np.round(img[..., :3] * 255).astype(np.uint8)


def _near(rgb: np.ndarray, colour: tuple[int, int, int], tol: int = 12) -> int:
    return int((np.abs(rgb.astype(int) - np.array(colour)).max(axis=-1) <= tol).sum())


def _check(page: Path, tmp_path: Path, colour: tuple[int, int, int]) -> np.ndarray:
    shot = tmp_path / f"{page.stem}.png"
    log = render(page, shot, tmp_path / f"profile-{page.stem}")
    assert _CONSOLE.findall(log) == []  # the page has no script: any message is an error
    assert _FILE_LOAD.findall(log) == [page.resolve().as_uri()]  # nothing but the page
    rgb = _pixels(shot)
    assert rgb.shape[:2] == (1600, 1200)
    white = (rgb >= 250).all(axis=-1).mean()
    colours = len(np.unique(rgb.reshape(-1, 3), axis=0))
    assert white < 0.9 and colours > 50, (white, colours)  # not blank
    assert _near(rgb, colour) > 200  # the figure's own colour: the PNG decoded and shows
    return rgb


def test_the_search_report_renders_in_a_browser(
    search_result: SearchResult, nearest_trials: pd.DataFrame, tmp_path: Path
) -> None:
    page = write_search_report(
        search_result, tmp_path / "search.html", dataset_name="wine", kb_trials=nearest_trials
    )
    _check(page, tmp_path, _BEST)


def test_the_suggest_report_renders_in_a_browser(
    advice: Advice, nearest_trials: pd.DataFrame, tmp_path: Path
) -> None:
    page = write_suggest_report(
        advice, tmp_path / "suggest.html", dataset_name="wine", neighbour_outcomes=nearest_trials
    )
    _check(page, tmp_path, _BOX)


def test_the_console_check_sees_errors(tmp_path: Path) -> None:
    """The check is not vacuous: a page with a failing script shows up in the log."""
    page = tmp_path / "bad.html"
    page.write_text("<html><body><p>x</p><script>console.error('boom'); nope();</script></body>")
    log = render(page, tmp_path / "bad.png", tmp_path / "profile-bad")
    messages = _CONSOLE.findall(log)
    assert any("boom" in m for m in messages) and any("nope" in m for m in messages)
