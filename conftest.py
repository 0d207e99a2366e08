"""Root conftest: keep doctest collection away from modules that run on import."""

collect_ignore = ["src/adverse_impact/__main__.py"]
