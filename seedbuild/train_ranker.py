"""Train the ranker on the shipped seed and write ``knowledge_base/seed/ranker-mlp@2.json``.

The advisor uses this artifact while a knowledge base still matches the seed (a new user's
default knowledge base), so the first ``advisor suggest`` needs no training.

    .venv/bin/python -m seedbuild.train_ranker
"""

from __future__ import annotations

import argparse
import sys
import tempfile


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    from advisor.facade import Advisor
    from knowledge_base import KnowledgeBase
    from knowledge_base.store import SEED_FILE

    kb = KnowledgeBase(f"sqlite:///{tempfile.mkdtemp()}/seed.sqlite", seed=True)
    adv = Advisor(kb)
    art = adv.ranker("mlp", refit=True, progress=lambda m: print(m, file=sys.stderr))
    out = SEED_FILE.parent / "ranker-mlp@2.json"
    art.save(out)
    print(
        f"wrote {out}: {len(art.fs.fingerprints)} datasets, {len(art.fs.config_hashes)} "
        f"configurations, settings {art.params}, snapshot {art.snapshot}"
    )


if __name__ == "__main__":
    main()
