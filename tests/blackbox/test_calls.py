"""Calling a black-box scorer (``_blackbox/_calls.py``): identity, cache, batches, failures.

The paired test's own use of these (a cached rerun, a crash halfway, a failing
scorer) is tested through ``ai.paired_test`` in ``test_paired.py``.
"""

from __future__ import annotations

import os
import threading

import pytest

import adverse_impact as ai
from adverse_impact._blackbox._calls import (
    CallLog,
    ScoreCache,
    cache_file_name,
    check_n_jobs,
    plan_calls,
    run_calls,
    scorer_identity,
)


def test_scorer_identity_follows_the_model_a_function_calls():
    def make(weight):
        def scorer(texts):
            return [weight * len(t) for t in texts]

        return scorer

    assert scorer_identity(make(1.0), "score") == scorer_identity(make(1.0), "score")
    assert scorer_identity(make(1.0), "score") != scorer_identity(make(2.0), "score")
    # Stable across processes: no memory address in the fingerprint.
    import subprocess
    import sys

    code = (
        "from adverse_impact._blackbox._calls import scorer_identity\n"
        "def f(texts):\n    return [len(t) for t in texts if t]\n"
        "print(scorer_identity(f, 'score'))"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
        for _ in range(2)
    }
    assert len(runs) == 1


# -- identity ----------------------------------------------------------------------------


class _Weighted:
    def __init__(self, weight):
        self.weight = weight

    def __call__(self, texts):
        return [self.weight * len(t) for t in texts]

    def score(self, texts):
        return [self.weight * len(t) for t in texts]


MODEL = _Weighted(1.0)


def _reads_a_global(texts):
    return MODEL(texts)


def test_identity_changes_with_the_code_the_state_and_the_kind():
    def short(texts):
        return [len(t) for t in texts]

    def longer(texts):
        return [len(t) + 1 for t in texts]

    assert scorer_identity(short, "score") != scorer_identity(longer, "score")
    assert scorer_identity(short, "score") != scorer_identity(short, "rank")
    # A callable object by its class and state; a bound method by its owner's state.
    assert scorer_identity(_Weighted(1.0), "score") == scorer_identity(_Weighted(1.0), "score")
    assert scorer_identity(_Weighted(1.0), "score") != scorer_identity(_Weighted(2.0), "score")
    assert scorer_identity(_Weighted(1.0).score, "score") != scorer_identity(
        _Weighted(2.0).score, "score"
    )
    assert len(scorer_identity(short, "score")) == 64


def test_a_model_retrained_behind_a_global_name_changes_the_identity():
    before = scorer_identity(_reads_a_global, "score")
    MODEL.weight = 3.0
    try:
        assert scorer_identity(_reads_a_global, "score") != before
    finally:
        MODEL.weight = 1.0
    assert scorer_identity(_reads_a_global, "score") == before


def test_an_object_that_does_not_pickle_counts_by_its_type():
    class Holds:
        def __init__(self):
            self.lock = threading.Lock()  # no pickling

        def __call__(self, texts):
            return [0.0] * len(texts)

    assert scorer_identity(Holds(), "score") == scorer_identity(Holds(), "score")


# -- cache files ---------------------------------------------------------------------------


def test_a_fingerprint_names_its_file_by_its_first_32_digits():
    identity = "0123456789abcdef" * 4
    assert cache_file_name(identity) == "0123456789abcdef0123456789abcdef.jsonl"


@pytest.mark.parametrize(
    "identity", ["../../etc/passwd", "a/b", "a_b", "", "...", "é" * 3, "x" * 200, "C:\\model"]
)
def test_a_chosen_identity_is_a_safe_file_name_of_its_own(identity):
    name = cache_file_name(identity)
    assert os.sep not in name and "/" not in name and "\\" not in name
    assert not name.startswith(".") and name.endswith(".jsonl") and len(name) <= 48 + 23
    assert name.isascii()


def test_identities_that_read_alike_never_share_a_file():
    names = {cache_file_name(i) for i in ("a/b", "a_b", "a\\b", "a b")}
    assert len(names) == 4
    assert cache_file_name("").startswith("scorer-")


def test_the_cache_keeps_answers_across_runs_and_skips_a_torn_line(tmp_path):
    cache = ScoreCache(tmp_path / "cache", "id-1")
    first, again = cache.key("text", 0), cache.key("text", 1)
    assert first != again  # a re-ask of the same text is its own question
    cache.put([(first, 0.5), (again, [1, 2])])
    with open(cache.path, "a", encoding="utf-8") as file:
        file.write('{"k": "torn", "v": ')  # a crash while writing
    reopened = ScoreCache(tmp_path / "cache", "id-1")
    assert reopened.get(first) == 0.5 and reopened.get(again) == [1, 2]
    assert reopened.get("torn") is None
    # Another scorer's keys differ, and its file too.
    other = ScoreCache(tmp_path / "cache", "id-2")
    assert other.key("text", 0) != first and other.path != cache.path


def test_a_cache_path_that_is_a_file_is_refused_naming_cache(tmp_path):
    (tmp_path / "taken").write_text("x")
    with pytest.raises(ai.InputError, match=r"^cache: '.*taken' exists and is not a directory"):
        ScoreCache(tmp_path / "taken", "id")


# -- planning and running calls ----------------------------------------------------------


def test_the_plan_asks_only_what_the_cache_lacks_in_batches(tmp_path):
    cache = ScoreCache(tmp_path, "id")
    texts = ["a", "b", "a", "c", "d"]
    cache.put([(cache.key("a", 0), 1.0), (cache.key("c", 0), 3.0)])
    answers, keys, batches = plan_calls(texts, batch_size=2, cache=cache)
    # The second "a" is a second question: not answered by the first one's entry.
    assert answers == [1.0, None, None, 3.0, None]
    assert batches == [[1, 2], [4]]
    assert keys[0] == cache.key("a", 0) and keys[2] == cache.key("a", 1)
    no_cache = plan_calls(texts, batch_size=10, cache=None)
    assert no_cache == ([None] * 5, [None] * 5, [[0, 1, 2, 3, 4]])


def _run(ask, groups, **options):
    settings = dict(batch_size=2, cache=None, max_calls=None, n_jobs=1, progress=False)
    settings.update(options)
    log = CallLog()
    return run_calls(ask, groups, log=log, **settings), log


def test_answers_come_back_in_the_designs_order_whatever_finishes_first():
    first_may_finish = threading.Event()

    def ask(texts):
        if texts[0] == "t0":
            assert first_may_finish.wait(5)  # the first call finishes last
        else:
            first_may_finish.set()
        return [f"answer to {t}" for t in texts]

    groups = [[f"t{i}"] for i in range(4)]
    answers, log = _run(ask, groups, n_jobs=2)
    assert answers == [f"answer to t{i}" for i in range(4)]
    assert log.n_calls == 2 and log.n_cached == 0 and log.failures == []


def test_a_failing_call_is_recorded_with_its_questions_and_not_cached(tmp_path):
    def ask(texts):
        if "bad" in texts:
            raise RuntimeError("rate   limited\n try later")
        return [len(t) for t in texts]

    cache = ScoreCache(tmp_path, "id")
    answers, log = _run(ask, [["ok"], ["bad"], ["fine"], ["good"]], cache=cache)
    # Both questions of the failed call (a batch of two) stay unanswered.
    assert answers == [None, None, 4, 4]
    assert log.failures == [
        {
            "call": 0,
            "questions": [0, 1],
            "n_texts": 2,
            "error": "RuntimeError",
            "message": "rate limited try later",
        }
    ]
    # Asked again, only the failed call is made: the other answers were kept.
    again, log = _run(ask, [["ok"], ["bad"], ["fine"], ["good"]], cache=cache)
    assert log.n_calls == 1 and log.n_cached == 2 and again[2:] == [4, 4]


def test_a_question_of_several_texts_is_one_cache_entry_and_never_split(tmp_path):
    seen = []

    def ask(questions):
        seen.append(questions)
        return [q.count("\x1e") + 1 for q in questions]

    answers, _ = _run(ask, [["a", "b", "c"], ["d", "e"]], batch_size=1)
    assert answers == [3, 2] and seen == [["a\x1eb\x1ec"], ["d\x1ee"]]


def test_max_calls_is_checked_before_the_first_call(tmp_path):
    def ask(texts):  # pragma: no cover - must not be called
        raise AssertionError("called")

    groups = [["a"], ["b"], ["c"]]
    with pytest.raises(
        ai.InputError, match=r"^max_calls: the design needs 2 scorer calls, more than max_calls=1"
    ):
        _run(ask, groups, max_calls=1)
    with pytest.raises(ai.InputError, match=r"^max_calls: is 0 \(cache only\), and 3 answers"):
        _run(ask, groups, max_calls=0, cache=ScoreCache(tmp_path, "id"))


def test_progress_is_said_through_the_callable_given():
    said = []
    _run(lambda texts: [1] * len(texts), [["a"], ["b"], ["c"]], batch_size=1, progress=said.append)
    assert said[-1] == "paired_test: 3/3 scorer calls"
    assert all(line.startswith("paired_test: ") for line in said)


@pytest.mark.parametrize("bad", [0, -2, True, 1.5, "4"])
def test_n_jobs_must_be_a_positive_int_or_minus_one(bad):
    with pytest.raises(ai.InputTypeError, match=rf"^n_jobs: {bad!r} is not a positive integer"):
        check_n_jobs(bad)


def test_minus_one_job_is_one_per_cpu():
    assert check_n_jobs(-1) == (os.cpu_count() or 1) and check_n_jobs(3) == 3


def test_failures_are_listed_by_call_whatever_order_the_threads_fail_in():
    second_failed = threading.Event()

    def ask(texts):
        if texts[0] == "t0":
            assert second_failed.wait(5)  # the first call fails last
            raise ValueError("first")
        second_failed.set()
        raise ValueError("second")

    answers, log = _run(ask, [["t0"], ["t1"]], batch_size=1, n_jobs=2)
    assert answers == [None, None]
    assert [(f["call"], f["message"]) for f in log.failures] == [(0, "first"), (1, "second")]
