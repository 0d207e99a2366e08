"""Built-in data: published worked examples and synthetic generators."""

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
