"""The HTML report rendered by a real browser (headless Chromium) to a PNG."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

import adverse_impact as ai

CHROMIUM = next((shutil.which(name) for name in ("chromium", "chromium-browser",
                                                 "google-chrome") if shutil.which(name)), None)


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (.ci/run installs it)")
def test_report_renders_in_headless_chromium(tmp_path):
    matplotlib_image = pytest.importorskip("matplotlib.image")
    rng = np.random.default_rng(0)
    sex = rng.choice(["Female", "Male"], 3_000)
    race = rng.choice(["Asian", "Black", "White"], 3_000)
    selected = rng.random(3_000) < np.where(sex == "Female", 0.2, 0.35)
    result = ai.audit(selected=selected, groups={"sex": sex, "race": race})
    page = tmp_path / "audit.html"
    result.to_html(page)
    png = tmp_path / "audit.png"
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
         f"--screenshot={png}", "--window-size=1200,1600", page.as_uri()],
        capture_output=True, text=True, timeout=120)
    assert png.is_file(), done.stderr[-2000:]
    image = matplotlib_image.imread(png)
    assert image.shape[0] >= 1_000 and image.shape[1] >= 1_000
    rgb = image[..., :3]
    assert rgb.std() > 0.05  # not a blank page
    # The flagged group's bars are drawn in the report's red (#cf222e, at 80% opacity).
    red = (rgb[..., 0] > 0.75) & (rgb[..., 1] < 0.45) & (rgb[..., 2] < 0.45)
    assert red.sum() > 200
