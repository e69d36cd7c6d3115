"""The usual scikit-learn tutorial, with an MLP that configures itself.

    .venv/bin/python examples/sklearn_tutorial.py

Load data, split, fit, score; then the same inside a Pipeline with cross-validation; then a
warm-started search with the GridSearchCV interface. The hyperparameters come from the
advisor's knowledge base (the default one, created from the shipped seed on first use, or the
one named by $ADVISOR_KB_URL).
"""

from __future__ import annotations

from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from advisor.sklearn import AdvisorSearchCV, MLPClassifier


def main() -> None:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)

    # 1. fit and score: the configuration is the advisor's top suggestion for this data
    clf = MLPClassifier(random_state=0).fit(X_train, y_train)
    print(f"MLPClassifier(): test accuracy {clf.score(X_test, y_test):.3f}")
    print(
        "  chosen:",
        {
            k: clf.config_[k]
            for k in ("learning_rate", "width", "num_layers", "batch_size", "optimizer")
        },
    )

    # 2. inside a Pipeline with a ColumnTransformer, cross-validated
    pipe = Pipeline(
        [
            ("columns", ColumnTransformer([("scale", StandardScaler(), list(X.columns))])),
            ("mlp", MLPClassifier(random_state=0)),
        ]
    )
    scores = cross_val_score(pipe, X_train, y_train, cv=3)
    print(f"Pipeline + cross_val_score: {scores.mean():.3f} +/- {scores.std():.3f}")

    # 3. a warm-started search with the GridSearchCV interface
    search = AdvisorSearchCV(
        MLPClassifier(epochs=10, random_state=0), n_trials=6, cv=3, contribute=False
    ).fit(X_train, y_train)
    print(
        f"AdvisorSearchCV(n_trials=6): best CV accuracy {search.best_score_:.3f}, "
        f"test accuracy {search.score(X_test, y_test):.3f}"
    )


if __name__ == "__main__":
    main()
