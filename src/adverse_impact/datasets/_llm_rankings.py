"""The shipped LLM resume-ranking experiment (Bloomberg News, 2024): loaders.

The data files live in ``datasets/data/llm_rankings/`` beside their Apache-2.0
licence and a NOTICE naming the source; every loader's docstring names both.
"""

from __future__ import annotations

import gzip
import io
import json
from importlib import resources

import pandas as pd

from adverse_impact._core._errors import input_error
from adverse_impact._core._params import validate_params

__all__ = ["load_job_descriptions", "load_llm_rankings", "load_names", "load_resume_templates"]

_FOLDER = ("data", "llm_rankings")
#: Race codes of the experiment (A, B, H, W) and sex codes (M = men, W = women).
RACES = ("A", "B", "H", "W")
SEXES = ("M", "W")


def _file(name: str):
    return resources.files("adverse_impact.datasets").joinpath(*_FOLDER, name)


def _json(name: str) -> dict:
    return json.loads(_file(name).read_text(encoding="utf-8"))


@validate_params()
def load_llm_rankings() -> pd.DataFrame:
    """Rankings of eight equally qualified resumes by GPT-3.5 and GPT-4 (Bloomberg, 2024).

    For each of four jobs and two models, the model was asked about 1,000
    times to rank eight resumes that differ only in the candidate's name, one
    name from each race x sex cell, shown in a shuffled order.  One row per
    candidate per prompt.

    Returns
    -------
    pandas.DataFrame
        66,528 rows (8,316 prompts of 8 candidates) with columns

        - ``model`` (``"gpt-3.5-turbo"``, ``"gpt-4"``) and ``job``
          (``"HR specialist"``, ``"software engineer"``, ``"retail"``,
          ``"financial analyst"``): one experiment per pair;
        - ``kind``: ``"main"`` and ``"rebalance"`` together are the 1,000
          prompts of the published analysis; ``"oversampled"`` prompts are
          extra ones it left out (filter them out to reproduce it);
        - ``run``: the prompt's id, unique within a model and job;
        - ``position``: 1-8, where the resume was shown in the prompt;
        - ``name``, ``race`` (A = Asian, B = Black, H = Hispanic, W = White)
          and ``sex`` (M = men, W = women);
        - ``rank``: 1-8 (1 = best), the order in which the model's answer
          first mentions the name; ``<NA>`` in the 608 rows whose name the
          answer never mentions.

    Notes
    -----
    Source: the public repository
    ``BloombergGraphics/2024-openai-gpt-hiring-racial-discrimination``
    (Copyright 2024 Bloomberg L.P., Apache License 2.0), behind the story
    "OpenAI's GPT Is a Recruiter's Dream Tool. Tests Show There's Racial
    Bias" (Bloomberg, March 2024).  The licence text and a NOTICE ship with
    the data in ``adverse_impact/datasets/data/llm_rankings/``; keep both
    with any copy.  The per-prompt files of the source were flattened to
    this table; nothing else was changed.

    References
    ----------
    .. [1] https://github.com/BloombergGraphics/2024-openai-gpt-hiring-racial-discrimination
    .. [2] https://www.bloomberg.com/graphics/2024-openai-gpt-hiring-racial-discrimination

    See Also
    --------
    load_names, load_resume_templates, adverse_impact.audit_rankings

    Examples
    --------
    The published analysis: first places per race x sex cell among the 1,000
    prompts of one model and job.

    >>> from adverse_impact.datasets import load_llm_rankings
    >>> df = load_llm_rankings()
    >>> df.shape
    (66528, 9)
    >>> published = df[df["kind"] != "oversampled"]
    >>> fa = published[(published["model"] == "gpt-3.5-turbo")
    ...                & (published["job"] == "financial analyst")]
    >>> (fa["rank"] == 1).groupby([fa["race"], fa["sex"]]).sum().loc["B"]
    sex
    M     76
    W    100
    Name: rank, dtype: Int64
    """
    raw = _file("rankings.csv.gz").read_bytes()
    with gzip.open(io.BytesIO(raw), "rt", encoding="utf-8") as handle:
        frame = pd.read_csv(
            handle,
            dtype={
                "run": str,
                "name": str,
                "race": str,
                "sex": str,
                "model": str,
                "job": str,
                "kind": str,
            },
        )
    frame["position"] = frame["position"].astype("int64")
    frame["rank"] = frame["rank"].astype("Int64")
    return frame


@validate_params()
def load_names() -> pd.DataFrame:
    """The 800 names of the ranking experiment: 100 per race x sex cell.

    Names distinctive of each cell, derived by the source from North
    Carolina voter records and the 2010 Census surname file.

    Returns
    -------
    pandas.DataFrame
        800 rows, sorted by race, sex and name, with columns ``name`` (as in
        :func:`load_llm_rankings`, e.g. ``"Malik Robinson"``), ``first_name``,
        ``last_name``, ``race`` (A, B, H, W) and ``sex`` (M, W).

    Notes
    -----
    Source: ``data/input/top_mens_names.json`` and ``top_womens_names.json``
    of ``BloombergGraphics/2024-openai-gpt-hiring-racial-discrimination``
    (Copyright 2024 Bloomberg L.P., Apache License 2.0; licence and NOTICE
    in ``adverse_impact/datasets/data/llm_rankings/``).  The source spells
    names in capitals; they are title-cased here, as in the rankings.

    See Also
    --------
    load_llm_rankings

    Examples
    --------
    >>> from adverse_impact.datasets import load_names
    >>> names = load_names()
    >>> names.groupby(["race", "sex"]).size().unique()
    array([100])
    >>> names.columns.tolist()
    ['name', 'first_name', 'last_name', 'race', 'sex']
    """
    rows = []
    for sex, file in (("M", "top_mens_names.json"), ("W", "top_womens_names.json")):
        for race, names in _json(file).items():
            for name in names:
                title = name.title()
                first, _, last = title.partition(" ")
                rows.append((title, first, last, race, sex))
    frame = pd.DataFrame(rows, columns=["name", "first_name", "last_name", "race", "sex"])
    return frame.sort_values(["race", "sex", "name"], ignore_index=True)


def _jobs() -> dict:
    return _json("resumes_to_rank.json")


@validate_params()
def load_resume_templates(job: str | None = None) -> pd.DataFrame:
    """The equally qualified resumes of the ranking experiment, with a ``{name}`` slot.

    Eight resume texts per job, written to be equally qualified; the
    candidate's name goes where ``{name}`` stands (``template.format(name=...)``
    or ``template.replace("{name}", ...)``).

    Parameters
    ----------
    job : str, optional
        One of ``"HR specialist"``, ``"software engineer"``, ``"retail"``,
        ``"financial analyst"``.  Default: every job.

    Returns
    -------
    pandas.DataFrame
        Columns ``job``, ``template_id`` (0-7 within the job) and
        ``template`` (the text).

    Raises
    ------
    InputError
        ``job`` is not one of the four jobs.

    Notes
    -----
    Source: ``data/intermediary/resumes_to_rank.json`` of
    ``BloombergGraphics/2024-openai-gpt-hiring-racial-discrimination``
    (Copyright 2024 Bloomberg L.P., Apache License 2.0; licence and NOTICE
    in ``adverse_impact/datasets/data/llm_rankings/``).

    See Also
    --------
    load_job_descriptions, load_names

    Examples
    --------
    >>> from adverse_impact.datasets import load_resume_templates
    >>> templates = load_resume_templates("retail")
    >>> len(templates), templates["template"].str.count("{name}").tolist()
    (8, [1, 1, 1, 1, 1, 1, 1, 1])
    >>> templates["template"][0].format(name="Malik Robinson").splitlines()[2]
    '**Name:** Malik Robinson'
    """
    jobs = _jobs()
    if job is not None and job not in jobs:
        raise input_error(
            "job",
            f"{job!r} is not a job of the experiment",
            f"Use one of {sorted(jobs)!r}, or None for all",
        )
    rows = [
        (name, i, text)
        for name, entry in jobs.items()
        if job is None or name == job
        for i, text in enumerate(entry["resumes"])
    ]
    return pd.DataFrame(rows, columns=["job", "template_id", "template"])


@validate_params()
def load_job_descriptions() -> pd.DataFrame:
    """The four job descriptions the resumes were ranked against.

    Returns
    -------
    pandas.DataFrame
        Columns ``job``, ``description`` (the text given to the model) and
        ``url`` (the real posting it was taken from).

    Notes
    -----
    Source: ``data/intermediary/resumes_to_rank.json`` of
    ``BloombergGraphics/2024-openai-gpt-hiring-racial-discrimination``
    (Copyright 2024 Bloomberg L.P., Apache License 2.0).

    Examples
    --------
    >>> from adverse_impact.datasets import load_job_descriptions
    >>> sorted(load_job_descriptions()["job"])
    ['HR specialist', 'financial analyst', 'retail', 'software engineer']
    """
    return pd.DataFrame(
        [(name, entry["jd"], entry.get("jd_url")) for name, entry in _jobs().items()],
        columns=["job", "description", "url"],
    )
