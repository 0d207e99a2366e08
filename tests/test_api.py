"""The public API: names the issues spell out stay reachable."""

from __future__ import annotations

import subprocess
import sys

import pytest

import adverse_impact as ai


def test_every_exported_name_exists_and_private_modules_stay_private():
    for name in ai.__all__:
        assert hasattr(ai, name), name
    assert not [n for n in ai.__all__ if n.startswith("_") and n != "__version__"]


@pytest.mark.parametrize(
    "path",
    [
        "case_study.recruiting_tool",
        "datasets.make_resumes",
        "datasets.ResumeGroundTruth",
        "testing.assert_no_adverse_impact",
        "stats.fisher_exact",
    ],
)
def test_subpackages_are_reachable_as_attributes(path):
    obj = ai
    for part in path.split("."):
        obj = getattr(obj, part)
    assert callable(obj)


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_thing"):
        ai.no_such_thing  # noqa: B018


def test_importing_the_package_does_not_import_fairlearn_or_pytest():
    code = (
        "import sys, adverse_impact; "
        "print(sorted(m for m in ('fairlearn', 'pytest') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_only_the_counting_and_frame_modules_import_narwhals():
    # _counts' docstring claims it is the only module computing on an engine;
    # _frames reads small inputs whole.  No other module may import narwhals.
    import re
    from pathlib import Path

    import adverse_impact

    root = Path(adverse_impact.__file__).parent
    importing = sorted(
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if re.search(r"^\s*(import|from) narwhals", p.read_text(), re.M)
    )
    assert importing == ["_core/_counts.py", "_core/_frames.py"]
