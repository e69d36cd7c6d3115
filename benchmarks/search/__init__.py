"""The online search benchmark (``bench_search.py``) and its trace tool (``trace_search.py``)."""
