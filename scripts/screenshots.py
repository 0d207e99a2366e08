"""Render every report and take its screenshots (desktop and phone) into docs/images/.

    python scripts/screenshots.py            # all reports
    python scripts/screenshots.py funnel     # one (names: see REPORTS)

Needs headless Chromium (``chromium``; see the README) and writes
``docs/images/<report>-desktop.png`` (1200 px wide) and
``docs/images/<report>-phone.png`` (390 px wide, the width of a small phone).
The reports are built from seeded synthetic data, so the pictures change only
when the reports do.  The HTML pages are left in ``build/reports/`` for a look.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(1, str(ROOT / "tests"))  # _helpers: the builders the tests share

import adverse_impact as ai  # noqa: E402

RACES = [
    "Asian",
    "Black or African American",
    "Hispanic or Latino",
    "Native Hawaiian or Other Pacific Islander",
    "White",
]


def audit_report() -> str:
    rng = np.random.default_rng(0)
    n = 3_000
    sex = rng.choice(["Female", "Male"], n)
    race = rng.choice(RACES, n, p=[0.2, 0.2, 0.1, 0.03, 0.47])
    selected = rng.random(n) < np.where(sex == "Female", 0.25, 0.33)
    result = ai.audit(
        selected=selected, sensitive_features={"sex": sex, "race": race}, min_share=0.02
    )
    return result.to_html(audit_date="2026-11-30", data_source="synthetic applicants, seed 0")


def funnel_data(n: int = 4_000, seed: int = 1) -> pd.DataFrame:
    """Applicants through screening, interview and offer; one small group thins out."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["Female", "Male"], n)
    race = rng.choice(RACES, n, p=[0.2, 0.2, 0.15, 0.03, 0.42])
    pacific = race == RACES[3]
    screened = rng.random(n) < np.where(sex == "Female", 0.45, 0.6) * np.where(pacific, 0.5, 1)
    interviewed = screened & (rng.random(n) < np.where(pacific, 0.3, 0.5))
    offered = interviewed & (rng.random(n) < np.where(sex == "Female", 0.35, 0.45))
    return pd.DataFrame(
        {
            "sex": sex,
            "race": race,
            "screened": screened.astype(int),
            "interviewed": interviewed.astype(int),
            "offered": offered.astype(int),
        }
    )


def funnel_report() -> str:
    funnel = ai.audit_funnel(
        funnel_data(),
        stages=["screened", "interviewed", "offered"],
        sensitive_features=["sex", "race"],
        intersectional=False,
        min_share=0.02,
    )
    return funnel.to_html()


def tiers_report() -> str:
    rng = np.random.default_rng(2)
    n = 2_000
    sex = rng.choice(["Female", "Male"], n)
    draw = rng.random(n) + np.where(sex == "Female", -0.08, 0.0)
    tier = pd.Categorical(
        np.select([draw > 0.8, draw > 0.45], ["top", "middle"], "bottom"),
        categories=["bottom", "middle", "top"],
        ordered=True,
    )
    return ai.audit_tiers(selected=tier, sensitive_features={"sex": sex}).to_html()


def gaps_report() -> str:
    rng = np.random.default_rng(3)
    n = 3_000
    race = rng.choice(RACES, n, p=[0.2, 0.2, 0.15, 0.05, 0.4])
    shift = pd.Series(race).map({RACES[0]: 0.05, RACES[1]: -0.45, RACES[2]: -0.25}).fillna(0)
    score = rng.normal(0, 1, n) + shift.to_numpy()
    return ai.score_gaps(score=score, sensitive_features={"race": race}).to_html()


def age_report() -> str:
    rng = np.random.default_rng(4)
    n = 3_000
    age = rng.integers(20, 66, n)
    selected = rng.random(n) < np.where(age >= 50, 0.22, 0.3)
    return ai.audit_age(selected=selected, age=age).to_html()


def models_report() -> str:
    rng = np.random.default_rng(5)
    n = 1_500
    sex = rng.choice(["Female", "Male"], n)
    qualified = rng.random(n) < 0.4
    skill = qualified + rng.normal(0, 1, n)
    models = {
        "keyword score": skill - 0.5 * (sex == "Female"),
        "skills only": skill,
        "skills + tenure": skill + rng.normal(0, 0.3, n),
    }
    result = ai.compare_models(
        models, None, qualified, {"sex": sex}, select_top=0.3, n_resamples=50, random_state=0
    )
    return result.to_html()


def check_report() -> str:
    published = pd.DataFrame(
        {
            "attribute": ["sex", "sex", "race", "race", "race", "race"],
            "group": ["Male", "Female", "White", "Black or African American", "Asian", "Other"],
            "n": [1200, 1000, 1100, 600, 450, 30],
            "selected": [420, 300, 380, 150, 160, 6],
            "rate": ["0.35", "0.30", "0.345", "0.25", "0.356", "0.20"],
            "impact_ratio": ["1.00", "0.90", "0.97", "0.70", "1.00", "0.56"],
        }
    )
    return ai.check_summary(published).to_html()


def case_study_report() -> str:
    from adverse_impact.case_study import recruiting_tool

    # 2,000 resumes, seed 0: the mitigation turns the gap round (men become the lower group).
    return recruiting_tool(2_000, random_state=0).to_html()


def packet_report() -> str:
    # The example of docs/publishing.md: a small category excluded, women under 0.80.
    rng = np.random.default_rng(0)
    n = 3_000
    sex = rng.choice(["Female", "Male", None], n, p=[0.47, 0.5, 0.03])
    races = ["White", "Black or African American", "Asian", "Native Hawaiian or Pacific Islander"]
    race = rng.choice([*races, None], n, p=[0.5, 0.25, 0.2, 0.01, 0.04])
    advanced = (rng.random(n) < np.where(sex == "Female", 0.22, 0.3)).astype(int)
    applicants = pd.DataFrame({"sex": sex, "race": race, "advanced": advanced})
    result = ai.audit(
        applicants, selected="advanced", sensitive_features=["sex", "race"], min_share=0.02
    )
    return result.to_ll144(
        audit_date="2026-11-30",
        distribution_date="2025-03-01",
        data_source="ATS export of 2025 applicants for analyst roles",
        tool="ScreenRank 2",
        employer="Example Corp",
        auditor="Independent Audits LLC",
    ).to_html()


def monitoring_report() -> str:
    # 18 months, 1,500 applicants a month; women's rate falls to 0.7 of men's from month 9.
    rng = np.random.default_rng(1)
    months = np.repeat(pd.date_range("2025-01-01", periods=18, freq="MS"), 1500)
    sex = np.tile(["Female", "Male"], 13_500)
    late = (sex == "Female") & (months >= "2025-09-01")
    chosen = rng.random(len(sex)) < np.where(late, 0.21, 0.30)
    return ai.monitor(time=months, selected=chosen, sensitive_features={"sex": sex}).to_html()


def rankings_report() -> str:
    from adverse_impact.datasets import load_llm_rankings

    data = load_llm_rankings()
    published = data[data["kind"] != "oversampled"]  # the published analysis's prompts
    return ai.audit_rankings(
        published,
        prompt="run",
        sensitive_features=["race", "sex"],
        rank="rank",
        position="position",
        by=["model", "job"],
        random_state=0,
    ).to_html()


def paired_report() -> str:
    # The stand-in scorer the paired report's tests use: Black men's names score 0.3 lower,
    # every 25th call times out.
    from _helpers import paired_stand_in

    return paired_stand_in(0).to_html()


REPORTS = {
    "audit": audit_report,
    "funnel": funnel_report,
    "tiers": tiers_report,
    "score-gaps": gaps_report,
    "age": age_report,
    "model-comparison": models_report,
    "summary-check": check_report,
    "case-study": case_study_report,
    "ll144-packet": packet_report,
    "monitoring": monitoring_report,
    "rankings": rankings_report,
    "paired": paired_report,
}

#: Window sizes: a desktop browser, and a small phone (390 CSS px, e.g. iPhone 12-15).
SIZES = {"desktop": (1200, 1400), "phone": (390, 1400)}


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    sys.exit("no Chromium found: see the README (apt-get install chromium)")


#: Extra height captured and cut off again (see :func:`screenshot`).
_MARGIN = 200

#: Headless Chromium makes no window narrower than 500 px: a narrower page is shown in an
#: iframe of that width, and the screenshot cut to it.
_FRAME = (
    '<!DOCTYPE html><html><body style="margin:0"><iframe src="{src}" '
    'style="border:0;width:{width}px;height:{height}px"></iframe></body></html>'
)


def screenshot(browser: str, page: Path, png: Path, size: tuple[int, int]) -> None:
    if size[0] < 500:
        frame = page.with_suffix(".frame.html")
        frame.write_text(_FRAME.format(src=page.name, width=size[0], height=size[1] + _MARGIN))
        page = frame
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--hide-scrollbars",
                "--allow-file-access-from-files",
                f"--user-data-dir={profile}",
                f"--screenshot={png}",
                # Taller than kept: the last tile of a capture can be drawn late.
                f"--window-size={size[0]},{size[1] + _MARGIN}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )


def main(names: list[str]) -> None:
    browser = chromium()
    images = ROOT / "docs" / "images"
    pages = ROOT / "build" / "reports"
    images.mkdir(parents=True, exist_ok=True)
    pages.mkdir(parents=True, exist_ok=True)
    for name in names or list(REPORTS):
        page = pages / f"{name}.html"
        page.write_text(REPORTS[name](), encoding="utf-8")
        for size_name, size in SIZES.items():
            png = images / f"{name}-{size_name}.png"
            screenshot(browser, page, png, size)
            _shrink(png, size)
            print(f"wrote {png.relative_to(ROOT)}")


def _shrink(png: Path, size: tuple[int, int]) -> None:
    """Cut the screenshot to ``size`` and store it with a 256-colour palette (a third of
    the bytes); needs Pillow (without it the capture is kept as it is)."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(png) as image:
        kept = image.convert("RGB").crop((0, 0, size[0], size[1]))
        small = kept.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(png, optimize=True)


if __name__ == "__main__":
    main(sys.argv[1:])
