"""Built-in data: published worked examples and synthetic generators."""

from typing import TYPE_CHECKING

from adverse_impact._core._public import attach as _attach

#: Imported on first use, and shown as ``adverse_impact.datasets.<name>``.
_NAMES = {
    "load_eeoc_example": "adverse_impact.datasets._examples",
    **dict.fromkeys(
        ["load_job_descriptions", "load_llm_rankings", "load_names", "load_resume_templates"],
        "adverse_impact.datasets._llm_rankings",
    ),
    **dict.fromkeys(["ResumeGroundTruth", "make_resumes"], "adverse_impact.datasets._resumes"),
}

__getattr__, __dir__ = _attach(__name__, _NAMES)

if TYPE_CHECKING:  # the names as type checkers and IDEs see them
    from adverse_impact.datasets._examples import load_eeoc_example
    from adverse_impact.datasets._llm_rankings import (
        load_job_descriptions,
        load_llm_rankings,
        load_names,
        load_resume_templates,
    )
    from adverse_impact.datasets._resumes import ResumeGroundTruth, make_resumes

__all__ = [
    "ResumeGroundTruth",
    "load_eeoc_example",
    "load_job_descriptions",
    "load_llm_rankings",
    "load_names",
    "load_resume_templates",
    "make_resumes",
]
