"""The knowledge base: datasets keyed by meta-features, and the trials run on them.

SQLite is the embedded default (created on first use in the user's data directory, or at the
URL in ``--kb`` / ``$ADVISOR_KB_URL``); PostgreSQL serves a team. Contributors send trial
records in the JSON Lines log format (``knowledge_base/README.md``): meta-features, never data.
"""

from knowledge_base.jsonl import iter_jsonl
from knowledge_base.log_format import FORMAT, FORMAT_VERSION, LIMITS, TrialRecord
from knowledge_base.store import (
    ENV_URL,
    SEED_CONTRIBUTOR,
    SEED_FILE,
    ContributionReport,
    KnowledgeBase,
    RemovalReport,
    default_url,
)

__all__ = [
    "ENV_URL",
    "FORMAT",
    "FORMAT_VERSION",
    "LIMITS",
    "SEED_CONTRIBUTOR",
    "SEED_FILE",
    "ContributionReport",
    "KnowledgeBase",
    "RemovalReport",
    "TrialRecord",
    "default_url",
    "iter_jsonl",
]
