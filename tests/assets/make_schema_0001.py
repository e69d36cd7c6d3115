"""Makes ``kb_schema_0001.sqlite``: a knowledge base at the first schema revision (0001),
with one dataset and two trials, for the upgrade test. Kept for the record; rerun only if
the asset is lost (it must keep the *old* schema, so it is built with revision 0001).

    .venv/bin/python tests/assets/make_schema_0001.py
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import text

from knowledge_base.stores import open_store
from knowledge_base.upgrade import alembic_config

HERE = Path(__file__).parent
MF = {"n_rows": 120.0, "lm_linear": 0.5}


def main() -> None:
    from alembic import command

    path = HERE / "kb_schema_0001.sqlite"
    path.unlink(missing_ok=True)
    store = open_store(f"sqlite:///{path}")
    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    with store.engine.connect() as conn:
        conn = conn.execution_options(advisor_write=True)
        command.upgrade(alembic_config(conn), "0001")
        conn.execute(
            text(
                "INSERT INTO datasets (fingerprint, name, source, dataset_group, task, n_rows, "
                "n_features, n_classes, meta_features_version, meta_features, created_at) VALUES "
                "('feedfacecafebeef', 'old-toy', 'tests', 'old', 'classification', 120, 4, 2, "
                "'1', :mf, :now)"
            ),
            {"mf": json.dumps(MF), "now": now},
        )
        conn.execute(
            text(
                "INSERT INTO spaces (name, version, definition, created_at) VALUES "
                "('mlp', 1, :d, :now)"
            ),
            {"d": json.dumps({"name": "mlp"}), "now": now},
        )
        for i in range(2):
            conn.execute(
                text(
                    "INSERT INTO trials (trial_id, dataset_id, space_id, config, config_hash, "
                    "seed, epochs, max_epochs, learning_curve, metrics, objective, score, "
                    "status, runtime_s, content_hash, created_at) VALUES (:tid, 1, 1, '{}', "
                    "'abc', 0, 1, 1, '[]', '{}', 'balanced_accuracy', 0.7, 'complete', 1.0, "
                    "'h', :now)"
                ),
                {"tid": f"old-{i}", "now": now},
            )
        conn.commit()
    store.dispose()
    for suffix in ("-wal", "-shm", ".lock"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
