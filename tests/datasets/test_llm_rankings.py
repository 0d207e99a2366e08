"""The shipped LLM ranking experiment (``datasets/_llm_rankings.py``): its files and loaders.

Reference: the source's own layout (BloombergGraphics/2024-openai-gpt-hiring-racial-
discrimination): 8 resumes per prompt, one name per race x sex cell, 100 names per cell.
"""

from __future__ import annotations

import pandas as pd
import pytest

import adverse_impact as ai
from adverse_impact.datasets import (
    load_job_descriptions,
    load_llm_rankings,
    load_names,
    load_resume_templates,
)

JOBS = ["HR specialist", "financial analyst", "retail", "software engineer"]


@pytest.fixture(scope="module")
def rankings() -> pd.DataFrame:
    return load_llm_rankings()


def test_dataset_shapes_and_licence(rankings):
    assert rankings.shape == (66528, 9)
    assert int(rankings["rank"].isna().sum()) == 608
    assert rankings.groupby(["model", "job", "run"]).size().eq(8).all()
    names = load_names()
    assert len(names) == 800 and names.groupby(["race", "sex"]).size().eq(100).all()
    assert set(rankings["name"]) == set(names["name"])
    templates = load_resume_templates()
    assert len(templates) == 32 and templates["template"].str.count("{name}").eq(1).all()
    from importlib import resources

    folder = resources.files("adverse_impact.datasets") / "data" / "llm_rankings"
    assert "Apache License" in (folder / "LICENSE").read_text()
    assert (
        "BloombergGraphics/2024-openai-gpt-hiring-racial-discrimination"
        in (folder / "NOTICE").read_text()
    )
    with pytest.raises(ai.InputError, match="job"):
        load_resume_templates("astronaut")


def test_every_prompt_shows_one_name_of_each_cell_in_eight_positions(rankings):
    prompts = rankings.groupby(["model", "job", "run"])
    assert prompts["position"].apply(lambda p: sorted(p) == list(range(1, 9))).all()
    cells = rankings["race"] + rankings["sex"]
    assert (
        cells.groupby([rankings["model"], rankings["job"], rankings["run"]]).nunique().eq(8).all()
    )
    # A rank is the order of first mention: no two names of a prompt share one.
    ranked = rankings.dropna(subset=["rank"])
    assert not ranked.duplicated(["model", "job", "run", "rank"]).any()
    assert ranked["rank"].between(1, 8).all()
    assert sorted(rankings["model"].unique()) == ["gpt-3.5-turbo", "gpt-4"]
    assert sorted(rankings["job"].unique()) == JOBS
    assert set(rankings["kind"]) == {"main", "rebalance", "oversampled"}
    assert rankings["rank"].dtype == "Int64" and rankings["position"].dtype == "int64"


def test_names_are_title_cased_and_split_at_the_first_space():
    names = load_names()
    assert (names["name"] == names["first_name"] + " " + names["last_name"]).all()
    assert (names["name"] == names["name"].str.title()).all()
    assert names["name"].is_unique
    assert names.equals(names.sort_values(["race", "sex", "name"], ignore_index=True))
    assert set(names["race"]) == {"A", "B", "H", "W"} and set(names["sex"]) == {"M", "W"}


def test_templates_by_job_and_the_job_descriptions_cover_the_same_four_jobs():
    every = load_resume_templates()
    for job in JOBS:
        one = load_resume_templates(job)
        assert one["template_id"].tolist() == list(range(8))
        pd.testing.assert_frame_equal(
            one, every[every["job"] == job].reset_index(drop=True), check_like=True
        )
    described = load_job_descriptions()
    assert sorted(described["job"]) == JOBS
    assert described["description"].str.len().gt(100).all()
    assert described["url"].str.startswith("http").all()


def test_an_unknown_job_is_refused_with_the_four_to_choose_from():
    with pytest.raises(ai.InputError) as caught:
        load_resume_templates("astronaut")
    assert str(caught.value) == (
        f"job: 'astronaut' is not a job of the experiment. Use one of {JOBS!r}, or None for all"
    )
