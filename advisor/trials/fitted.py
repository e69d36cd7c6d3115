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

from advisor.data import Dataset, PreparedSplit, SplitCache
from advisor.trials.metrics import classification_metrics, regression_metrics
from advisor.trials.model import build_mlp
from advisor.trials.runner import TrialResult, _predict, resolve_device, train
from advisor_core.errors import DataError

__all__ = ["MODEL_FORMAT_VERSION", "FittedModel", "fit_model"]

MODEL_FORMAT_VERSION = 1


class FittedModel:
    """Preprocessing + network + target decoding: ``predict(X)`` on raw feature frames.

    Saved with :meth:`save` as one file (a pickle; load only files you trust).
    """

    def __init__(
        self,
        module: torch.nn.Module,
        split: PreparedSplit,
        config: Mapping[str, Any],
        result: TrialResult | None = None,
        feature_columns: list[str] | None = None,
    ) -> None:
        # inference in float64: predictions do not depend on how rows are batched
        self.module = module.to("cpu").double().eval()
        self.preprocessor = split.preprocessor
        self.target_encoder = split.target_encoder
        self.task = split.task
        self.n_features = split.n_features
        self.n_outputs = split.n_classes if split.task == "classification" else 1
        self.config = dict(config)
        self.result = result
        self.feature_columns = feature_columns or list(self.preprocessor.columns_)

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
    def save(self, path: str | Path) -> None:
        buf = io.BytesIO()
        torch.save(self.module.float().state_dict(), buf)
        self.module.double()
        payload = {
            "format": "tuning-advisor-model",
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
        Path(path).write_bytes(pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))

    @classmethod
    def load(cls, path: str | Path) -> FittedModel:
        p = Path(path)
        if not p.is_file():
            raise DataError(f"{p}: model file not found")
        try:
            payload = pickle.loads(p.read_bytes())
        except Exception:
            raise DataError(f"{p}: not a model saved by the advisor") from None
        if not isinstance(payload, dict) or payload.get("format") != "tuning-advisor-model":
            raise DataError(f"{p}: not a model saved by the advisor")
        if payload.get("version") != MODEL_FORMAT_VERSION:
            raise DataError(
                f"{p}: model format version {payload.get('version')!r}, this advisor reads "
                f"{MODEL_FORMAT_VERSION}"
            )
        module = build_mlp(payload["n_features"], payload["n_outputs"], payload["config"])
        module.load_state_dict(torch.load(io.BytesIO(payload["state_dict"]), weights_only=True))
        obj = cls.__new__(cls)
        obj.module = module.double().eval()
        obj.preprocessor = payload["preprocessor"]
        obj.target_encoder = payload["target_encoder"]
        obj.task = payload["task"]
        obj.n_features = payload["n_features"]
        obj.n_outputs = payload["n_outputs"]
        obj.config = payload["config"]
        obj.result = None
        obj.feature_columns = payload["feature_columns"]
        return obj


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
    return result, FittedModel(module, split, result.config, result)
