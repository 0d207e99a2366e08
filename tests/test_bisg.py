"""BISG estimates (ai.impute_race) and the shipped Census tables.

Reference values: the CFPB's published test output (cfpb/proxy-methodology,
``test_output/test_proxied_final.csv``; CC0), of which ``tests/data/bisg_cfpb_zip.csv``
holds the ZIP-level columns of all 100 rows with each row's surname and ZCTA
recovered by ``scripts/build_bisg_data.py`` (the CFPB file does not hold them), and
the Census 2010 surname file's printed rows for AAB and SMITH.
"""

from __future__ import annotations

import dataclasses
import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import adverse_impact as ai
from adverse_impact._bisg import _impute, _tables
from adverse_impact._bisg._tables import CATEGORIES, fill_suppressed, surname_table, zcta_table

DATA = Path(__file__).parent / "data" / "bisg_cfpb_zip.csv"
CFPB = ["white", "black", "api", "aian", "mult_other", "hispanic"]  # the CFPB's names, our order


@pytest.fixture(scope="module")
def cfpb():
    return pd.read_csv(DATA, dtype={"zcta": str})


def test_reproduces_the_cfpb_published_zip_level_bisg(cfpb):
    # The CFPB's test output was made with the 2000 surname list and the 2010 ZCTA table.
    est = ai.impute_race(cfpb["surname"], zcta=cfpb["zcta"], surnames="2000", zctas="2010")
    expected = cfpb[[f"zip18_pr_{c}" for c in CFPB]].to_numpy()
    np.testing.assert_allclose(est.probabilities.to_numpy(), expected, atol=1e-6, rtol=0)
    assert est.surname_matched.all() and est.geography_matched.all()


def test_reproduces_the_cfpb_surname_and_geography_probabilities(cfpb):
    # name_pr_*: the 2000 list's percentages with (S) filled, not rescaled, as the CFPB has them.
    raw = _tables._load("surnames_2000.npz")
    index = pd.Index(_tables._names(raw))
    pct = raw["pct"][index.get_indexer(cfpb["surname"])].astype(np.int64)
    expected = cfpb[[f"name_pr_{c}" for c in CFPB]].to_numpy()
    np.testing.assert_allclose(fill_suppressed(pct), expected, atol=1e-7, rtol=0)
    # zip18_geo_pr_*: the adult make-up after the CFPB's redistribution of "other race".
    places = zcta_table("2010")
    counts = places.counts[places.index.get_indexer(cfpb["zcta"].astype(int))]
    make_up = counts / counts.sum(axis=1, keepdims=True)
    expected = cfpb[[f"zip18_geo_pr_{c}" for c in CFPB]].to_numpy()
    np.testing.assert_allclose(make_up, expected, atol=1e-7, rtol=0)


def _filled(year: str, name: str) -> np.ndarray:
    raw = _tables._load(f"surnames_{year}.npz")
    row = _tables._names(raw).index(name)
    return fill_suppressed(raw["pct"][row : row + 1].astype(np.int64))[0]


def test_suppressed_cells_are_filled_as_the_cfpb_fills_them():
    # Census 2010: AAB,128249,133,...,87.97,(S),(S),0,6.77,(S); SMITH: 70.9,23.11,0.5,0.89,2.19,2.4
    left = (1 - 0.8797 - 0.0677) / 3
    np.testing.assert_allclose(
        _filled("2010", "AAB"), [0.8797, left, left, 0.0, 0.0677, left], atol=1e-15
    )
    smith = [0.709, 0.2311, 0.005, 0.0089, 0.0219, 0.024]  # printed; they add up to 99.99%
    np.testing.assert_allclose(_filled("2010", "SMITH"), smith, atol=1e-15)
    # The table the estimates use holds each row rescaled to sum to 1.
    table = surname_table("2010")
    np.testing.assert_allclose(
        table.probabilities[table.index.get_loc("SMITH")], np.array(smith) / 0.9999, atol=1e-15
    )
    aab = table.probabilities[table.index.get_loc("AAB")]
    np.testing.assert_allclose(aab, _filled("2010", "AAB"), atol=1e-15)
    assert table.count[table.index.get_loc("SMITH")] == 2_442_977
    est = ai.impute_race(["aab", "Smith"])
    np.testing.assert_allclose(est.probabilities.to_numpy()[0], aab)


def test_the_shipped_tables_have_the_sizes_of_their_sources():
    assert len(surname_table("2010").index) == 162_253
    assert len(surname_table("2000").index) == 151_671
    union = surname_table("2010+2000")
    assert len(union.index) == len(set(union.index)) > 162_253
    assert len(zcta_table("2010").index) == 32_989  # 33,120 less Puerto Rico's 131
    np.testing.assert_allclose(
        surname_table("2010").all_other,
        [0.6665, 0.0853, 0.0797, 0.0086, 0.0232, 0.1367],
        atol=1e-12,
    )
    assert surname_table("2000").all_other is None


def test_the_shipped_data_stay_under_six_megabytes():
    folder = Path(_tables.__file__).parent / "data"
    assert sum(f.stat().st_size for f in folder.iterdir()) < 6_000_000
    assert (folder / "PROVENANCE.md").exists()


@pytest.mark.parametrize("surnames", ["2010", "2000", "2010+2000"])
@pytest.mark.parametrize("zctas", ["2010", "2020"])
def test_probabilities_sum_to_one_in_every_case(surnames, zctas):
    rng = np.random.default_rng(1)
    names = np.asarray(surname_table(surnames).index)[rng.integers(0, 150_000, 500)].tolist()
    names += ["Qxqzv", None, "", "J.", "Smith-Qxqz"]
    places = np.asarray(zcta_table(zctas).index)[rng.integers(0, 30_000, len(names))]
    zcta = [f"{z:05d}" for z in places]
    zcta[:5] = ["00000", None, "abcde", "99999", "1"]
    est = ai.impute_race(names, zcta=zcta, surnames=surnames, zctas=zctas)
    p = est.probabilities.to_numpy()
    assert p.shape == (len(names), 6) and np.all(p >= 0)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)


def _fake_places(monkeypatch, counts: np.ndarray, codes: list[int]) -> None:
    counts = np.asarray(counts, dtype=float)
    totals = counts.sum(axis=0)
    fake = _tables.ZctaTable(
        index=pd.Index(codes),
        counts=counts,
        given_race=counts / totals,
        national=totals / totals.sum(),
    )
    monkeypatch.setattr(_impute, "zcta_table", lambda year: fake)


def test_an_uninformative_geography_returns_the_surname_probabilities(monkeypatch):
    # ZCTA 1's make-up is the nation's, so P(ZCTA | race) is the same for every race.
    # The three ZCTAs add up to 10 x national, and ZCTA 1 is 3 x national.
    national = np.array([60, 12, 5, 1, 2, 20])
    white_only = np.array([100, 0, 0, 0, 0, 0])
    _fake_places(monkeypatch, [national * 3, white_only, national * 7 - white_only], [1, 2, 3])
    names = ["Smith", "Garcia", "Nguyen", "Aab"]
    alone = ai.impute_race(names).probabilities.to_numpy()
    with_place = ai.impute_race(names, zcta=[1, 1, 1, 1])
    np.testing.assert_allclose(with_place.probabilities.to_numpy(), alone, atol=1e-12)
    assert with_place.geography_matched.all()
    # An informative one does move them: everyone in ZCTA 2 is White.
    white = ai.impute_race(names, zcta=[2, 2, 2, 2]).probabilities.to_numpy()
    np.testing.assert_allclose(white, np.tile([1.0, 0, 0, 0, 0, 0], (4, 1)), atol=1e-12)


def test_an_unknown_geography_returns_the_surname_probabilities():
    names = ["Smith", "Garcia", "Washington"]
    alone = ai.impute_race(names).probabilities.to_numpy()
    est = ai.impute_race(names, zcta=["00000", None, "not a zip"])
    np.testing.assert_allclose(est.probabilities.to_numpy(), alone, atol=1e-15)
    assert not est.geography_matched.any() and est.surname_matched.all()


def test_an_unknown_surname_with_a_known_geography_returns_the_geographys_make_up():
    places = zcta_table("2010")
    est = ai.impute_race(["Qxqzvw", None], zcta=["30310", 30310])
    row = places.counts[places.index.get_loc(30310)]
    np.testing.assert_allclose(est.probabilities.to_numpy(), [row / row.sum()] * 2, atol=1e-12)
    assert not est.surname_matched.any() and est.geography_matched.all()


def test_an_unknown_surname_can_use_the_all_other_names_row():
    est = ai.impute_race(["Qxqzvw"], unmatched_surname="all_other")
    np.testing.assert_allclose(est.probabilities.to_numpy()[0], surname_table("2010").all_other)
    with pytest.raises(ai.InputError, match="unmatched_surname: the 2000 surname list"):
        ai.impute_race(["Qxqzvw"], surnames="2000", unmatched_surname="all_other")
    # Without a ZCTA, the "geography" fallback is the national adult make-up.
    est = ai.impute_race(["Qxqzvw"])
    np.testing.assert_allclose(est.probabilities.to_numpy()[0], zcta_table("2010").national)


@pytest.mark.parametrize(
    ("raw", "looked_up"),
    [
        ("o'brien", "OBRIEN"),
        ("  Garcia Jr.  ", "GARCIA"),
        ("de la Cruz", "DELACRUZ"),
        ("Smith-Garcia", "SMITH"),
        ("Qxqzv-Garcia", "GARCIA"),
        ("J. Nguyen III", "NGUYEN"),
        ("Lee2", "LEE"),
        ("MC DONALD", "MCDONALD"),
    ],
)
def test_surnames_are_cleaned_as_the_cfpb_cleans_them(raw, looked_up):
    est = ai.impute_race([raw])
    assert est.to_frame()["surname_used"].iloc[0] == looked_up
    direct = ai.impute_race([looked_up]).probabilities
    pd.testing.assert_frame_equal(est.probabilities, direct)


def test_rows_stay_in_input_order_whatever_repeats():
    names = ["Garcia", "Smith", "Garcia", "Nguyen", "Smith", None]
    zcta = ["78521", "30310", "30310", "92683", "78521", "78521"]
    est = ai.impute_race(names, zcta=zcta)
    one_by_one = np.vstack(
        [ai.impute_race([n], zcta=[z]).probabilities.to_numpy() for n, z in zip(names, zcta)]
    )
    np.testing.assert_array_equal(est.probabilities.to_numpy(), one_by_one)
    assert est.to_frame()["zcta"].tolist() == zcta


def test_zctas_as_text_integers_and_zip_plus_four_agree():
    a = ai.impute_race(["Smith"] * 4, zcta=["02139", "2139", "02139-4307", " 02139 "])
    b = ai.impute_race(["Smith"] * 2, zcta=[2139, 2139.0])
    assert a.geography_matched.all() and b.geography_matched.all()
    expected = np.tile(b.probabilities.to_numpy()[0], (4, 1))
    np.testing.assert_array_equal(a.probabilities.to_numpy(), expected)


def test_pandas_polars_numpy_and_lists_give_the_same_estimates():
    pl = pytest.importorskip("polars")
    names = ["Smith", "Garcia", None, "Nguyen"]
    zcta = ["30310", "78521", "92683", None]
    reference = ai.impute_race(names, zcta=zcta).probabilities
    for make in (pd.Series, lambda v: pd.Series(v, dtype="string"), pl.Series, np.array):
        got = ai.impute_race(make(names), zcta=make(zcta)).probabilities
        pd.testing.assert_frame_equal(got, reference)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"surnames": "1990"}, r"surnames: '1990' is not one of"),
        ({"zctas": 2010}, r"zctas: 2010 is not one of"),
        ({"unmatched_surname": "drop"}, r"unmatched_surname: 'drop' is not one of"),
        ({"zcta": ["30310"]}, r"inconsistent numbers of rows: surname has 2, zcta has 1"),
    ],
)
def test_bad_arguments_are_named_in_the_error(kwargs, match):
    with pytest.raises(ai.InputError, match=match):
        ai.impute_race(["Smith", "Lee"], **kwargs)


def test_a_single_string_is_refused_with_the_fix():
    with pytest.raises(ai.InputTypeError, match="surname: got a single str"):
        ai.impute_race("Smith")


def test_the_result_is_a_frozen_picklable_value_with_the_common_surface():
    est = ai.impute_race(["Smith", "Qxqzv"], zcta=["30310", None])
    with pytest.raises(dataclasses.FrozenInstanceError):
        est.surnames = "2000"
    again = pickle.loads(pickle.dumps(est))
    pd.testing.assert_frame_equal(again.to_frame(), est.to_frame())
    payload = json.loads(json.dumps(est.to_dict(), allow_nan=False))
    assert payload["n"] == 2 and payload["surname_matched"] == 1
    assert payload["rows"][1]["surname_used"] is None
    assert est.summary().splitlines()[0] == repr(est).splitlines()[0]
    assert "Local Law 144" in est.summary()
    assert list(est.probabilities.columns) == list(CATEGORIES)
    assert "<strong>RaceEstimates" in est._repr_html_()


def test_the_benchmark_runs_on_a_small_sample(capsys):
    import runpy

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "bisg.py"
    module = runpy.run_path(str(script))
    assert module["main"](["--rows", "3000", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "impute_race on 3,000 people" in out and "ai.audit_imputed" in out
