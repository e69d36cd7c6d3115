"""The leaf shared by the advisor and the knowledge base: errors, search spaces, objectives and
the meta-feature vector's schema.

It imports nothing of ``advisor`` or ``knowledge_base``; both import it. The dependency
direction is ``advisor -> knowledge_base -> advisor_core`` (and ``advisor -> advisor_core``);
``tests/test_architecture.py`` checks it. Users reach these names through ``advisor``
(``advisor_core.errors``, ``advisor_core.spaces``, ...).
"""

__all__: list[str] = []
