"""The nearest-neighbour list and its interleaving with the ranker's order."""

from __future__ import annotations

import numpy as np

from advisor.ranker.knn import interleave, knn_order, knn_scores, portfolio_rank

HASHES = ["a", "b", "c", "d"]
# rows: datasets; columns: HASHES; NaN = not run there
NORM = np.array(
    [
        [0.2, 1.0, 0.5, 0.0],  # best: b
        [0.1, 0.3, 1.0, 0.0],  # best: c
        [1.0, 0.9, np.nan, 0.0],  # best: a
    ]
)


def test_interleave_alternates_and_lists_every_item_once() -> None:
    out = interleave(np.array([3, 1, 2, 0]), np.array([1, 0, 3, 2]))
    assert out.tolist() == [3, 1, 0, 2]


def test_interleave_keeps_items_that_only_one_order_has() -> None:
    out = interleave(np.array([5, 4, 3, 2, 1]), np.array([1, 2]))
    assert out.tolist() == [5, 1, 4, 2, 3]


def test_knn_puts_the_best_configuration_of_each_nearest_dataset_first() -> None:
    dist = np.array([0.5, 0.1, 0.9])  # nearest: row 1 (c), then row 0 (b), then row 2 (a)
    order = knn_order(NORM, HASHES, dist)
    assert [HASHES[i] for i in order] == ["c", "b", "a", "d"]


def test_knn_ranks_the_rest_by_their_average_rank_across_datasets() -> None:
    avg = portfolio_rank(NORM, HASHES)
    assert avg.idxmax() == "d"  # last everywhere
    # only the nearest dataset counts when it is the only finite one
    score = knn_scores(NORM, HASHES, np.array([np.inf, 0.2, np.inf]), HASHES, avg)
    order = np.argsort(-score, kind="stable")
    assert HASHES[order[0]] == "c" and HASHES[order[-1]] == "d"
