"""Trees compiled to native code (the service's faster scoring) give the same suggestions as
LightGBM's own predictor, on the shipped ranker."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from advisor.ranker.artifact import RankerArtifact
from advisor.ranker.compiled import available

SHIPPED = Path(__file__).resolve().parents[2] / "knowledge_base" / "seed" / "ranker-mlp@2.json"

pytestmark = pytest.mark.skipif(not available(), reason="lleaves (the service extra) is missing")


@pytest.mark.slow
def test_compiled_trees_give_the_same_scores_and_suggestions(tmp_path) -> None:
    from sklearn.datasets import load_diabetes, load_wine

    from advisor.candidates import Prior, rank_candidates
    from advisor.data import load_dataset
    from advisor.metafeatures import extract
    from advisor.suggest import suggest

    art = RankerArtifact.load(SHIPPED)
    cases = []
    for loader, task in ((load_wine, "classification"), (load_diabetes, "regression")):
        X, y = loader(return_X_y=True, as_frame=True)
        cases.append((extract(load_dataset(X, y=y)).values, task))
    before = []
    for mf, task in cases:
        prior = Prior(art, mf, task)
        ranked = rank_candidates(prior)
        M = art.fs.matrix(prior.mf_row, art.fs.encoded, prior.pmean, prior.pknn)
        before.append(
            (
                art.score(M),
                art.predict_objective(M),
                art.predict_risk(M),
                ranked.units,
                [s.config for s in suggest(art, mf, task, k=5).suggestions],
            )
        )
    assert art.compile(tmp_path) == 2 + len(art.quantiles) + (art.risk is not None)
    assert list(tmp_path.glob("lgbm-*.so"))  # kept for the next process
    for (mf, task), (score, objective, risk, units, configs) in zip(cases, before, strict=True):
        prior = Prior(art, mf, task)
        M = art.fs.matrix(prior.mf_row, art.fs.encoded, prior.pmean, prior.pknn)
        np.testing.assert_allclose(art.score(M), score, rtol=0, atol=1e-9)
        for k, v in art.predict_objective(M).items():
            np.testing.assert_allclose(v, objective[k], rtol=0, atol=1e-9)
        np.testing.assert_allclose(art.predict_risk(M), risk, rtol=0, atol=1e-9)
        np.testing.assert_array_equal(rank_candidates(prior).units, units)
        assert [s.config for s in suggest(art, mf, task, k=5).suggestions] == configs
