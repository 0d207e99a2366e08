"""Audits on the engine where the data lives: identical results, counts-only transfer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import adverse_impact as ai


def make_frame(seed: int = 0, n: int = 3_000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["Female", "Male", None], n, p=[0.45, 0.5, 0.05])
    race = rng.choice(["White", "Black", "Asian", "Two or More Races"], n, p=[0.5, 0.25, 0.2, 0.05])
    return pd.DataFrame(
        {
            "sex": pd.Series(sex, dtype=object),
            "race": pd.Series(race, dtype=object),
            "advanced": rng.integers(0, 2, n),
            "score": np.round(rng.normal(size=n), 2),
            "weight": rng.uniform(0.5, 2.0, n),
        }
    )


@pytest.fixture(scope="module")
def spark():
    pyspark = pytest.importorskip("pyspark.sql")
    session = (
        pyspark.SparkSession.builder.master("local[1]")
        .appName("adverse-impact-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.maxResultSize", "1m")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def to_engine(name: str, frame: pd.DataFrame, spark_session=None):
    if name == "pandas":
        return frame
    if name == "polars":
        return pytest.importorskip("polars").from_pandas(frame)
    if name == "polars-lazy":
        return pytest.importorskip("polars").from_pandas(frame).lazy()
    if name == "pyarrow":
        return pytest.importorskip("pyarrow").Table.from_pandas(frame)
    if name == "duckdb":
        duckdb = pytest.importorskip("duckdb")
        con = duckdb.connect()
        con.register("frame", frame)
        return con.sql("select * from frame")
    if name == "dask":
        dd = pytest.importorskip("dask.dataframe")
        return dd.from_pandas(frame, npartitions=3)
    if name == "pyspark":
        return spark_session.createDataFrame(frame)
    raise AssertionError(name)


ENGINES = ["pandas", "polars", "polars-lazy", "pyarrow", "duckdb", "dask", "pyspark"]


@pytest.fixture(params=ENGINES)
def engine(request):
    if request.param == "pyspark":
        return request.param, request.getfixturevalue("spark")
    return request.param, None


@pytest.mark.filterwarnings("ignore:Dask support is moving:FutureWarning")
def test_every_engine_gives_the_pandas_result(engine):
    name, session = engine
    frame = make_frame()
    data = to_engine(name, frame, session)
    cases = [
        dict(selected="advanced", sensitive_features=["sex", "race"]),
        dict(selected="advanced", sensitive_features=["sex", "race"], sample_weight="weight"),
        dict(score="score", threshold=0.5, sensitive_features="race"),
        dict(score="score", sensitive_features=["sex", "race"]),  # LL144 scoring rate: exact median
        dict(selected="advanced", sensitive_features="race", min_share=0.1, reference="White"),
    ]
    for kwargs in cases:
        expected = ai.audit(frame, **kwargs)
        got = ai.audit(data, **kwargs)
        pd.testing.assert_frame_equal(got.table, expected.table, check_exact=False, rtol=1e-12)
        assert dict(got.unknown) == dict(expected.unknown)
        assert got.params["cutoff"] == expected.params["cutoff"]


@pytest.mark.filterwarnings("ignore:Dask support is moving:FutureWarning")
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(20, 400),
    engine_name=st.sampled_from(["polars", "pyarrow", "duckdb", "dask"]),
)
def test_engines_agree_with_pandas_on_random_data(seed, n, engine_name):
    frame = make_frame(seed, n)
    if frame["sex"].nunique() < 2 or frame["race"].nunique() < 2:
        return
    expected = ai.audit(frame, score="score", sensitive_features=["sex", "race"])
    got = ai.audit(to_engine(engine_name, frame), score="score", sensitive_features=["sex", "race"])
    pd.testing.assert_frame_equal(got.table, expected.table)


@pytest.mark.filterwarnings("ignore:Dask support is moving:FutureWarning")
@pytest.mark.parametrize("name", ["polars", "duckdb", "dask"])
def test_engine_errors_match_in_memory_errors(name):
    frame = make_frame(n=50)
    bad = frame.assign(advanced=frame["score"].abs() / 10)
    with pytest.raises(ai.InputError, match="score="):
        ai.audit(to_engine(name, bad), selected="advanced", sensitive_features="sex")
    with pytest.raises(ai.InputError, match="'nope' is not in data"):
        ai.audit(to_engine(name, frame), selected="advanced", sensitive_features="nope")
    negative = frame.assign(weight=-frame["weight"])
    with pytest.raises(ai.InputError, match="sample_weight"):
        ai.audit(
            to_engine(name, negative),
            selected="advanced",
            sensitive_features="sex",
            sample_weight="weight",
        )


# The deliberate failing toPandas below makes pyspark warn about its Arrow path.
@pytest.mark.filterwarnings("ignore:toPandas attempted Arrow optimization")
def test_spark_audit_brings_back_counts_not_rows(spark):
    # The session's driver accepts at most 1 MiB of results; collecting these
    # rows needs about 20 MiB, while the audit needs a few hundred bytes.
    rows = spark.range(300_000).selectExpr(
        "case when id % 3 = 0 then 'Female' else 'Male' end as sex",
        "cast(id % 7 = 0 as int) as advanced",
        "repeat('x', 40) as padding",
    )
    with pytest.raises(Exception, match="maxResultSize"):
        rows.toPandas()
    result = ai.audit(rows, selected="advanced", sensitive_features="sex")
    assert result.n_total == 300_000
    assert list(result.table["n"]) == [100_000, 200_000]


@pytest.mark.filterwarnings("ignore:Dask support is moving:FutureWarning")
def test_dask_graph_is_computed_once_for_a_decision_audit():
    pytest.importorskip("dask.dataframe")
    from dask.callbacks import Callback

    computes = []

    class CountComputes(Callback):
        def _start(self, dsk):
            computes.append(len(dsk))

    data = to_engine("dask", make_frame())
    with CountComputes():
        ai.audit(data, selected="advanced", sensitive_features=["sex", "race"])
    assert len(computes) == 1


@pytest.mark.filterwarnings("ignore:Dask support is moving:FutureWarning")
@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([1.0, 0.0, None, 1.0, 0.0, 1.0], "missing"),
        ([1.0, 0.0, float("nan"), 1.0, 0.0, 1.0], "missing"),
        ([1.0, 0.0, 0.5, 1.0, 0.0, 1.0], "probabilities"),
        ([1.0, 0.0, 2.0, 1.0, 0.0, 1.0], "0/1"),
    ],
)
def test_every_engine_names_what_is_wrong_with_the_decisions(engine, values, message):
    name, session = engine
    frame = pd.DataFrame({"sex": ["F", "M"] * 3, "advanced": values})
    with pytest.raises(ai.InputError, match=message) as caught:
        ai.audit(to_engine(name, frame, session), selected="advanced", sensitive_features="sex")
    assert "selected" in str(caught.value)
