"""Benchmark of the foundation: meta-feature extraction and trial-runner throughput.

Prints
1. meta-feature extraction time on synthetic 10k x 50 and 100k x 100 data, next to pymfe's
   time for the same groups (general, statistical, info-theory, landmarking) and for pymfe's
   default groups, on the same data;
2. trial-runner throughput (trials per minute) for a fixed small config on a fixed 5k-row
   dataset, next to a plain ``torch.utils.data.DataLoader`` training loop of the same network,
   epochs and batch size, measured in the same run.

    .venv/bin/python benchmarks/foundation/bench_foundation.py [--pymfe-100k] [--repeats 3]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import torch

from advisor.data import SplitCache, load_dataset
from advisor.metafeatures import extract
from advisor.trials import run_trial
from advisor_core.spaces import named_config
from benchmarks.engine.single_model import build_mlp, build_optimizer


def synthetic(n: int, p: int, seed: int = 0):
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=n, n_features=p, n_informative=min(p, 10), n_classes=3, random_state=seed
    )
    return X, y


def time_ours(X: np.ndarray, y: np.ndarray, repeats: int) -> float:
    ds = load_dataset(X, y=y)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        extract(ds)
        best = min(best, time.perf_counter() - t)
    return best


def time_pymfe(X: np.ndarray, y: np.ndarray, groups: list[str] | str) -> float:
    from pymfe.mfe import MFE

    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mfe = MFE(groups=groups, random_state=0)
        mfe.fit(X, y, suppress_warnings=True)
        mfe.extract(suppress_warnings=True)
    return time.perf_counter() - t


def dataloader_loop(split, cfg: dict, epochs: int, seed: int) -> float:
    """The textbook loop: TensorDataset + DataLoader(shuffle=True), same model and optimizer."""
    from torch.utils.data import DataLoader, TensorDataset

    t = time.perf_counter()
    torch.manual_seed(seed)
    X = torch.from_numpy(split.X_train)
    y = torch.from_numpy(split.y_train)
    model = build_mlp(split.n_features, split.n_classes, cfg)
    opt = build_optimizer(model, cfg)
    loss_fn = torch.nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(X, y), batch_size=cfg["batch_size"], shuffle=True)
    Xv = torch.from_numpy(split.X_valid)
    for _ in range(epochs):
        model.train()
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            if not torch.isfinite(loss):
                break
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            model(Xv).argmax(1)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--pymfe-100k",
        action="store_true",
        help="also time pymfe on 100k x 100 (takes many minutes)",
    )
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--trials", type=int, default=8, help="trials per throughput measurement")
    args = ap.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, 1 thread; numpy {np.__version__}")

    print("\n== meta-feature extraction (best of repeats for ours; one run for pymfe) ==")
    same_groups = ["general", "statistical", "info-theory", "landmarking"]
    for n, p in ((10_000, 50), (100_000, 100)):
        X, y = synthetic(n, p)
        ours = time_ours(X, y, args.repeats)
        line = f"{n:>7,} x {p:<3}  advisor: {ours:7.3f} s"
        if n <= 10_000 or args.pymfe_100k:
            same = time_pymfe(X, y, same_groups)
            default = time_pymfe(X, y, "default")
            line += (
                f" | pymfe same groups: {same:7.2f} s ({same / ours:5.1f}x)"
                f" | pymfe default groups: {default:7.2f} s ({default / ours:5.1f}x)"
            )
        else:
            line += " | pymfe: skipped (use --pymfe-100k)"
        print(line)

    print("\n== trial-runner throughput: 5,000 rows x 20 features, 3 classes ==")
    X, y = synthetic(5000, 20, seed=1)
    cache = SplitCache(load_dataset(X, y=y), seed=0)
    split = cache.prepared("standard")
    cfg = {**named_config("default"), "batch_size": 64, "width": 64, "num_layers": 2}
    epochs = 10
    run_trial(cache, cfg, epochs=1, device="cpu")  # warm-up
    dataloader_loop(split, cfg, 1, 0)
    t = time.perf_counter()
    for s in range(args.trials):
        run_trial(cache, cfg, epochs=epochs, seed=s, device="cpu")
    ours = (time.perf_counter() - t) / args.trials
    t = time.perf_counter()
    for s in range(args.trials):
        dataloader_loop(split, cfg, epochs, s)
    base = (time.perf_counter() - t) / args.trials
    print(f"config: 2 x 64 ReLU, batch 64, {epochs} epochs, {split.X_train.shape[0]} train rows")
    print(f"advisor trial runner: {60 / ours:6.1f} trials/min ({ours:.3f} s/trial)")
    print(f"plain DataLoader loop: {60 / base:6.1f} trials/min ({base:.3f} s/trial)")
    print(f"speed-up: {base / ours:.2f}x")


if __name__ == "__main__":
    main()
