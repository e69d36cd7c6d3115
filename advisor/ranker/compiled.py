"""Trees compiled to native code, for a process that answers many suggestions (the service).

Scoring the ~2,000 candidates of one suggestion with LightGBM's own predictor is most of its
time. `lleaves <https://github.com/siboehm/lleaves>`_ compiles a LightGBM model to machine code
through LLVM and predicts the same numbers (to rounding) several times faster. Compiling takes
a few seconds per model, so it is done once per model and kept in a cache folder (a shared
library named by the model's digest); a process that only answers one suggestion (the CLI)
keeps LightGBM. Without the ``lleaves`` package (the ``service`` extra installs it) nothing is
compiled and LightGBM predicts as before.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["available", "compile_model"]

_LOCK = threading.Lock()


def available() -> bool:
    """Whether trees can be compiled here (the ``lleaves`` package imports).

    Returns
    -------
    bool
    """
    try:
        import lleaves  # noqa: F401
    except Exception:  # not installed, or its LLVM binding does not load
        return False
    return True


def _build_key() -> str:
    """What a compiled library is only valid for: the compiler's versions and this CPU."""
    try:
        from importlib.metadata import version

        from llvmlite import binding

        cpu = binding.get_host_cpu_name() + binding.get_host_cpu_features().flatten()
        return f"{version('lleaves')}|{version('llvmlite')}|{cpu}|"
    except Exception:  # nothing to tell apart: the digest of the model alone
        return ""


class CompiledModel:
    """A compiled LightGBM model: ``predict(X)`` as the booster's, on one thread."""

    def __init__(self, model: Any) -> None:
        self._model = model

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predictions for the rows of ``X`` (numeric, any float dtype)."""
        M = np.ascontiguousarray(X, dtype=np.float64)
        return np.asarray(self._model.predict(M, n_jobs=1), dtype=float)


def compile_model(model_str: str, cache_dir: str | Path) -> CompiledModel | None:
    """Compile a LightGBM model (its model string), or load it compiled from ``cache_dir``.

    Parameters
    ----------
    model_str : str
        ``Booster.model_to_string()``.
    cache_dir : str or Path
        Folder of compiled models (created if missing).

    Returns
    -------
    CompiledModel or None
        ``None`` when ``lleaves`` is not installed or the model cannot be compiled (the
        caller keeps LightGBM).
    """
    if not available():
        return None
    import lleaves

    digest = hashlib.sha256((_build_key() + model_str).encode()).hexdigest()[:24]
    folder = Path(cache_dir)
    folder.mkdir(parents=True, exist_ok=True)
    library = folder / f"lgbm-{digest}.so"
    fd, text = tempfile.mkstemp(suffix=".txt", dir=folder)
    own = folder / f".{library.name}.{os.getpid()}.{threading.get_ident()}"
    try:
        with os.fdopen(fd, "w") as f:
            f.write(model_str)
        with _LOCK:  # LLVM's compiler is not to be entered by two threads at once
            model = lleaves.Model(model_file=text)
            if library.exists():
                model.compile(cache=str(library))
            else:  # compiled under a name of its own, then renamed: other processes may race
                model.compile(cache=str(own))
                os.replace(own, library)
    except Exception:  # an unsupported model: LightGBM predicts it
        return None
    finally:
        Path(text).unlink(missing_ok=True)
        own.unlink(missing_ok=True)
    return CompiledModel(model)
