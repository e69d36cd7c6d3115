"""A trained model that predicts on raw feature frames, and its save/load format."""

from __future__ import annotations

import io
import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from advisor.data import Dataset, PreparedSplit, SplitCache, prepare_split
from advisor.trials.engine import predict
from advisor.trials.metrics import classification_metrics, regression_metrics
from advisor.trials.network import Shape, StackedMLP
from advisor.trials.runner import EpochCallback, TrialResult, TrialSpec, run_trials
from advisor_core.errors import DataError, SearchError

__all__ = ["MODEL_FORMAT", "MODEL_FORMAT_VERSION", "FittedModel", "fit_model", "fit_on_all_rows"]

MODEL_FORMAT = "tuning-advisor-model"
#: 2: the stacked network of space ``mlp`` version 2 (version 1 files cannot be read).
MODEL_FORMAT_VERSION = 2


class FittedModel:
    """Preprocessing + network + target decoding: ``predict(X)`` on raw feature frames.

    Built from a trained split with :meth:`from_split`; saved with :meth:`save` as one file
    (:meth:`to_dict` pickled; load only files you trust) and restored by :meth:`load`.

    Parameters
    ----------
    shape : Shape
        The network's shape.
    state : mapping of str to Tensor
        The trained parameters (one model).
    preprocessor : TabularPreprocessor
        The fitted feature preprocessing.
    target_encoder : TargetEncoder
        The fitted target encoding.
    config : mapping
        The configuration the network was trained with.
    task : {"classification", "regression"}
        The task.
    y_range : tuple of float, optional
        Regression outputs (standardized) are clipped to it, as in training.
    feature_columns : list of str, optional
        The raw feature columns ``predict`` expects (default: the preprocessor's).
    result : TrialResult, optional
        The training run (not saved).
    """

    def __init__(
        self,
        shape: Shape,
        state: Mapping[str, torch.Tensor],
        preprocessor: Any,
        target_encoder: Any,
        config: Mapping[str, Any],
        *,
        task: str,
        y_range: tuple[float, float] | None = None,
        feature_columns: list[str] | None = None,
        result: TrialResult | None = None,
    ) -> None:
        self.shape = shape
        self.state = {k: v.detach().to("cpu", torch.float32) for k, v in state.items()}
        self.net = StackedMLP.from_state(shape, self.state, dtype=torch.float64)
        self.preprocessor = preprocessor
        self.target_encoder = target_encoder
        self.task = task
        self.y_range = y_range
        self.config = dict(config)
        self.result = result
        self.feature_columns = list(feature_columns or self.preprocessor.columns_)

    @classmethod
    def from_split(
        cls,
        shape: Shape,
        state: Mapping[str, torch.Tensor],
        split: PreparedSplit,
        config: Mapping[str, Any],
        result: TrialResult | None = None,
    ) -> FittedModel:
        """The model trained on ``split`` (its preprocessing and target encoding)."""
        y_range = None
        if split.task == "regression":
            y_range = (float(np.min(split.y_train)), float(np.max(split.y_train)))
        return cls(
            shape,
            state,
            split.preprocessor,
            split.target_encoder,
            config,
            task=split.task,
            y_range=y_range,
            result=result,
        )

    @property
    def classes(self) -> list[Any] | None:
        return list(self.target_encoder.classes_) if self.task == "classification" else None

    def _raw(self, X: pd.DataFrame) -> np.ndarray:
        Xt = torch.from_numpy(self.preprocessor.transform(X)).double()
        return predict(self.net, Xt, self.task, self.y_range)[0]

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        if self.task != "classification":
            raise DataError("predict_proba is only available for classification models")
        return self._raw(X)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        out = self._raw(X)
        if self.task == "classification":
            return self.target_encoder.inverse(out.argmax(axis=1))
        return self.target_encoder.inverse(out)

    def metrics(self, dataset: Dataset) -> dict[str, float]:
        """Metrics of this model on a labelled dataset (e.g. a test set)."""
        out = self._raw(dataset.X)
        if self.task == "classification":
            y = self.target_encoder.transform(dataset.y)
            return classification_metrics(y, out)
        return regression_metrics(
            dataset.y.to_numpy(dtype=np.float64), self.target_encoder.inverse(out)
        )

    # -- persistence ----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The saved form (format ``tuning-advisor-model``, weights as float32)."""
        buf = io.BytesIO()
        torch.save(self.state, buf)
        return {
            "format": MODEL_FORMAT,
            "version": MODEL_FORMAT_VERSION,
            "config": self.config,
            "task": self.task,
            "shape": self.shape.to_dict(),
            "y_range": self.y_range,
            "feature_columns": self.feature_columns,
            "preprocessor": self.preprocessor,
            "target_encoder": self.target_encoder,
            "state_dict": buf.getvalue(),
            "result": self.result.to_dict() if self.result else None,
        }

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> FittedModel:
        """The inverse of :meth:`to_dict` (a :class:`DataError` for anything else)."""
        if payload.get("format") != MODEL_FORMAT:
            raise DataError("not a model saved by the advisor")
        if payload.get("version") != MODEL_FORMAT_VERSION:
            raise DataError(
                f"model format version {payload.get('version')!r}, this advisor reads "
                f"{MODEL_FORMAT_VERSION}"
            )
        shape = Shape.from_dict(payload["shape"])
        state = torch.load(io.BytesIO(payload["state_dict"]), weights_only=True)
        y_range = payload.get("y_range")
        return cls(
            shape,
            state,
            payload["preprocessor"],
            payload["target_encoder"],
            payload["config"],
            task=payload["task"],
            y_range=None if y_range is None else (float(y_range[0]), float(y_range[1])),
            feature_columns=payload["feature_columns"],
        )

    def save(self, path: str | Path) -> None:
        Path(path).write_bytes(pickle.dumps(self.to_dict(), protocol=pickle.HIGHEST_PROTOCOL))

    @classmethod
    def load(cls, path: str | Path) -> FittedModel:
        """The model saved at ``path`` (a :class:`DataError` if it is not one)."""
        p = Path(path)
        if not p.is_file():
            raise DataError(f"{p}: model file not found")
        try:
            payload = pickle.loads(p.read_bytes())
        except Exception:
            raise DataError(f"{p}: not a model saved by the advisor") from None
        if not isinstance(payload, dict):
            raise DataError(f"{p}: not a model saved by the advisor")
        try:
            return cls.from_dict(payload)
        except DataError as exc:
            raise DataError(f"{p}: {exc}") from None


def fit_model(
    data: SplitCache | PreparedSplit,
    config: Mapping[str, Any],
    *,
    epochs: int = 20,
    seed: int = 0,
    device: str = "auto",
    time_limit: float | None = None,
    objective: str | None = None,
    on_epoch: EpochCallback | None = None,
) -> tuple[TrialResult, FittedModel | None]:
    """Train like :func:`run_trial` and also return the model of the best epoch (``None`` if
    the training failed or diverged)."""
    spec = TrialSpec(config, seed, epochs, None, time_limit)
    hook = None if on_epoch is None else (lambda _i, epoch, value: on_epoch(epoch, value))
    results, kept = run_trials(
        data, [spec], device=device, objective=objective, keep="best", on_epoch=hook
    )
    result, got = results[0], kept[0]
    if got is None:
        return result, None
    split, shape, state = got
    return result, FittedModel.from_split(shape, state, split, result.config, result)


def fit_on_all_rows(
    dataset: Dataset,
    config: Mapping[str, Any],
    *,
    epochs: int = 20,
    seed: int = 0,
    device: str = "auto",
) -> FittedModel:
    """Train ``config`` on every row of ``dataset`` for ``epochs`` (no validation split: the
    last epoch is kept), for prediction; a :class:`SearchError` if the training fails."""
    rows = np.arange(dataset.n_rows)
    split = prepare_split(
        dataset,
        str(config["feature_scaling"]),
        categorical=str(config.get("categorical_encoding", "onehot")),
        rows=(rows, rows),
    )
    spec = TrialSpec(config, seed, epochs)
    results, kept = run_trials(split, [spec], device=device, keep="last")
    result, got = results[0], kept[0]
    if got is None or result.status in ("failed", "diverged"):
        raise SearchError(
            f"the final model did not train: {result.status} ({result.message})", result.status
        )
    _, shape, state = got
    return FittedModel.from_split(shape, state, split, result.config, result)
