"""scikit-learn estimators that configure themselves: ``MLPClassifier``, ``MLPRegressor`` and
``AdvisorSearchCV``.

``MLPClassifier()`` / ``MLPRegressor()`` train the ``mlp`` space's PyTorch network with the
product's own preprocessing and trial runner. With ``hyperparameters="auto"`` (the default) the
configuration is the advisor's top suggestion for the data seen at ``fit`` (``config_`` and
``suggestion_`` afterwards); a named configuration (``"default"``), a dict, or explicit keyword
hyperparameters (``learning_rate=...``, which override everything else) fix it instead.
``AdvisorSearchCV`` has the ``GridSearchCV`` interface and runs the product's warm-started search
with cross-validated scores.

None of them writes to the knowledge base unless asked: with ``contribute=True`` their trials
(meta-features and outcomes, never the data) are written, under ``dataset_name`` (default
``data-`` and the start of the data's fingerprint), and ``fit`` says so in one line on stderr.
"""

from advisor.sklearn._estimators import MLPClassifier, MLPRegressor
from advisor.sklearn._search_cv import AdvisorSearchCV

__all__ = ["AdvisorSearchCV", "MLPClassifier", "MLPRegressor"]
