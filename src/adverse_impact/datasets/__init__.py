"""Built-in data: published worked examples and synthetic generators."""

from adverse_impact.datasets._examples import load_eeoc_example
from adverse_impact.datasets._resumes import ResumeGroundTruth, make_resumes

__all__ = ["ResumeGroundTruth", "load_eeoc_example", "make_resumes"]
