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


# -- public paths: names show where users import them -----------------------------------

PUBLIC_MODULES = ("adverse_impact", "adverse_impact.stats", "adverse_impact.datasets")


def _public_objects():
    import importlib
    import inspect

    for module_name in (*PUBLIC_MODULES, "adverse_impact.testing"):
        module = importlib.import_module(module_name)
        for name in module.__all__:
            value = getattr(module, name)
            if inspect.isclass(value) or inspect.isfunction(value):
                yield module_name, name, value


def test_every_public_class_and_function_shows_its_public_path():
    wrong = [(m, n, v.__module__) for m, n, v in _public_objects() if v.__module__ != m]
    assert wrong == []
    assert repr(ai.AuditResult) == "<class 'adverse_impact.AuditResult'>"
    assert repr(ai.stats.FisherResult) == "<class 'adverse_impact.stats.FisherResult'>"


def test_a_result_made_before_its_class_was_looked_up_shows_the_public_path():
    # A fresh interpreter: ai.audit(...) is the first use; AuditResult was never named.
    code = (
        "import adverse_impact as ai\n"
        "r = ai.audit(selected=[1, 0, 1, 0], sensitive_features=['a', 'a', 'b', 'b'])\n"
        "print(type(r).__module__, type(r).__qualname__)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["adverse_impact", "AuditResult"]


def test_public_results_pickle_under_their_public_path():
    import pickle

    result = ai.audit(
        selected=[1, 0, 1, 0, 1, 1], sensitive_features=["a", "a", "b", "b", "a", "b"]
    )
    data = pickle.dumps(result)
    assert b"adverse_impact._audits" not in data
    assert pickle.loads(data).table.equals(result.table)
    fisher = ai.stats.fisher_exact(5, 20, 12, 20)
    assert pickle.loads(pickle.dumps(fisher)) == fisher


def test_doctests_of_public_objects_are_collected_once_where_they_are_defined():
    # doctest finds an object's examples in the module its __module__ names; public
    # names name the public module, which does not hold them, so _core._public lists
    # them in the defining module's __test__.  Each is found there, and only there.
    import doctest
    import importlib

    finder = doctest.DocTestFinder()
    for module_name, name, value in _public_objects():
        if module_name == "adverse_impact.testing" or not (value.__doc__ or "").count(">>>"):
            continue
        home = importlib.import_module(
            next(
                getattr(importlib.import_module(m), "_NAMES", {}).get(name)
                for m in PUBLIC_MODULES
                if name in getattr(importlib.import_module(m), "_NAMES", {})
            )
        )
        found = [t.name for t in finder.find(home) if t.examples and t.name.endswith(f".{name}")]
        assert len(found) == 1, (module_name, name, found)
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        assert [t.name for t in finder.find(module) if t.examples] in ([], [module_name])


@pytest.mark.parametrize("module", ["stats", "testing", "datasets"])
def test_public_submodules_list_only_their_public_names(module):
    public = getattr(ai, module)
    assert set(dir(public)) == set(public.__all__)
    assert not {"np", "pd", "norm", "Any", "annotations"} & set(dir(public))
    assert set(dir(ai)) == {*ai.__all__, "case_study", "datasets", "testing"}


# -- statistics results unpack like scipy's -----------------------------------------------


@pytest.mark.parametrize(
    ("function", "statistic"),
    [
        ("two_proportion_z", "statistic"),
        ("fisher_exact", "odds_ratio"),
        ("chi_square", "statistic"),
        ("impact_ratio_test", "ratio"),
    ],
)
def test_test_results_unpack_to_statistic_and_p_value(function, statistic):
    import pickle

    result = getattr(ai.stats, function)(5, 20, 12, 20)
    value, p = result
    assert (value, p) == (getattr(result, statistic), result.p_value)
    assert result[0] == value and result[1] == p and result[-1] == p and len(result) == 2
    assert tuple(result) == (value, p)
    again = pickle.loads(pickle.dumps(result))
    assert again == result and tuple(again) == (value, p)
    assert not hasattr(result, "__dict__")


def test_fisher_unpacks_as_scipy_does():
    from scipy.stats import fisher_exact

    ours = tuple(ai.stats.fisher_exact(5, 20, 12, 20))
    theirs = tuple(fisher_exact([[5, 15], [12, 8]]))
    assert ours == pytest.approx(theirs, rel=1e-12)


def test_vector_and_pooled_results_unpack_too():
    z, p = ai.stats.two_proportion_z([5, 6], [20, 20], [12, 12], [20, 20])
    assert z.shape == p.shape == (2,)
    tables = [[[5, 15], [12, 8]], [[7, 13], [10, 10]]]
    statistic, p = ai.stats.mantel_haenszel(tables)
    assert p == ai.stats.mantel_haenszel(tables).p_value


@pytest.mark.parametrize("function", ["odds_ratio", "shortfall"])
def test_estimates_without_a_test_do_not_unpack(function):
    with pytest.raises(TypeError):
        _, _ = getattr(ai.stats, function)(5, 20, 12, 20)


def test_errors_show_the_public_path_whatever_was_imported_first():
    # Tracebacks and doctests print the exception's path; it must not depend on
    # whether a public name was looked up before (a fresh interpreter, no lookup).
    code = (
        "from adverse_impact._core import _errors\n"
        "print(_errors.InputError.__module__, _errors.UnknownCategoryWarning.__module__)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["adverse_impact", "adverse_impact"]
