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
from advisor.trials.metrics import classification_metrics, regression_metrics
from advisor.trials.model import build_mlp
from advisor.trials.runner import TrialResult, _predict, resolve_device, train
from advisor_core.errors import DataError, SearchError

__all__ = ["MODEL_FORMAT", "MODEL_FORMAT_VERSION", "FittedModel", "fit_model", "fit_on_all_rows"]

MODEL_FORMAT = "tuning-advisor-model"
MODEL_FORMAT_VERSION = 1


class FittedModel:
    """Preprocessing + network + target decoding: ``predict(X)`` on raw feature frames.

    Built from a trained split with :meth:`from_split`; saved with :meth:`save` as one file
    (:meth:`to_dict` pickled; load only files you trust) and restored by :meth:`load`.

    Parameters
    ----------
    module : torch.nn.Module
        The trained network (kept on the CPU in float64: predictions do not depend on how rows
        are batched).
    preprocessor : TabularPreprocessor
        The fitted feature preprocessing.
    target_encoder : TargetEncoder
        The fitted target encoding.
    config : mapping
        The configuration the network was trained with.
    task : {"classification", "regression"}
        The task.
    n_features : int
        Width of the preprocessed features (the network's input).
    n_outputs : int
        The network's outputs (classes, or 1).
    feature_columns : list of str, optional
        The raw feature columns ``predict`` expects (default: the preprocessor's).
    result : TrialResult, optional
        The training run (not saved).
    """

    def __init__(
        self,
        module: torch.nn.Module,
        preprocessor: Any,
        target_encoder: Any,
        config: Mapping[str, Any],
        *,
        task: str,
        n_features: int,
        n_outputs: int,
        feature_columns: list[str] | None = None,
        result: TrialResult | None = None,
    ) -> None:
        self.module = module.to("cpu").double().eval()
        self.preprocessor = preprocessor
        self.target_encoder = target_encoder
        self.task = task
        self.n_features = int(n_features)
        self.n_outputs = int(n_outputs)
        self.config = dict(config)
        self.result = result
        self.feature_columns = list(feature_columns or self.preprocessor.columns_)

    @classmethod
    def from_split(
        cls,
        module: torch.nn.Module,
        split: PreparedSplit,
        config: Mapping[str, Any],
        result: TrialResult | None = None,
    ) -> FittedModel:
        """The model trained on ``split`` (its preprocessing and target encoding)."""
        return cls(
            module,
            split.preprocessor,
            split.target_encoder,
            config,
            task=split.task,
            n_features=split.n_features,
            n_outputs=split.n_classes if split.task == "classification" else 1,
            result=result,
        )

    @property
    def classes(self) -> list[Any] | None:
        return list(self.target_encoder.classes_) if self.task == "classification" else None

    def _raw(self, X: pd.DataFrame) -> np.ndarray:
        Xt = torch.from_numpy(self.preprocessor.transform(X)).double()
        return _predict(self.module, Xt, self.task)

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
        torch.save(self.module.float().state_dict(), buf)
        self.module.double()
        return {
            "format": MODEL_FORMAT,
            "version": MODEL_FORMAT_VERSION,
            "config": self.config,
            "task": self.task,
            "n_features": self.n_features,
            "n_outputs": self.n_outputs,
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
        module = build_mlp(payload["n_features"], payload["n_outputs"], payload["config"])
        module.load_state_dict(torch.load(io.BytesIO(payload["state_dict"]), weights_only=True))
        return cls(
            module,
            payload["preprocessor"],
            payload["target_encoder"],
            payload["config"],
            task=payload["task"],
            n_features=payload["n_features"],
            n_outputs=payload["n_outputs"],
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
) -> tuple[TrialResult, FittedModel | None]:
    """Train like :func:`run_trial` and also return the trained model (``None`` if it failed)."""
    resolve_device(device)
    result, module, split = train(
        data,
        config,
        epochs=epochs,
        seed=seed,
        device=device,
        time_limit=time_limit,
        objective=objective,
    )
    if module is None:
        return result, None
    return result, FittedModel.from_split(module, split, result.config, result)


def fit_on_all_rows(
    dataset: Dataset,
    config: Mapping[str, Any],
    *,
    epochs: int = 20,
    seed: int = 0,
    device: str = "auto",
) -> FittedModel:
    """Train ``config`` on every row of ``dataset`` (no validation split), for prediction;
    a :class:`SearchError` if the training fails or diverges."""
    rows = np.arange(dataset.n_rows)
    split = prepare_split(dataset, str(config["feature_scaling"]), rows=(rows, rows))
    result, module, split = train(split, config, epochs=epochs, seed=seed, device=device)
    if module is None:
        raise SearchError(
            f"the final model did not train: {result.status} ({result.message})", result.status
        )
    return FittedModel.from_split(module, split, result.config, result)
