"""The advisor's exceptions: one root, one subclass per kind of problem.

Hierarchy::

    AdvisorError                    every error the advisor raises on purpose
    ├── DataError                   a dataset cannot be used (file, columns, target, values)
    ├── ConfigError                 a configuration or a search space is invalid
    ├── KnowledgeBaseError          the knowledge base cannot be opened, read or written
    │   ├── SchemaVersionError      the database schema is older or newer than this advisor's
    │   ├── ValidationError         contributed records are invalid (carries a per-record report)
    │   └── ConflictError           a trial id was re-sent with different values
    ├── RankerError                 the ranker cannot be trained or loaded
    ├── SearchError                 a search cannot run
    ├── ServiceError                the HTTP service answered with an error (client side)
    └── MissingDependencyError      an optional dependency (an extra) is not installed

Messages are one line that names the field, the value and what is allowed. The CLI prints the
message and exits with code 2; the service turns it into ``{"error_code", "message"}``.
"""

from __future__ import annotations

__all__ = [
    "AdvisorError",
    "ConfigError",
    "ConflictError",
    "DataError",
    "KnowledgeBaseError",
    "MissingDependencyError",
    "RankerError",
    "SchemaVersionError",
    "SearchError",
    "ServiceError",
    "ValidationError",
]


class AdvisorError(Exception):
    """Root of every error the advisor raises on purpose."""

    error_code = "advisor_error"


class DataError(AdvisorError):
    """A dataset cannot be used: unreadable, empty, wrong target, invalid values."""

    error_code = "invalid_data"


class ConfigError(AdvisorError):
    """A configuration, a hyperparameter value or a search space is invalid."""

    error_code = "invalid_config"


class KnowledgeBaseError(AdvisorError):
    """The knowledge base cannot be opened, read or written."""

    error_code = "knowledge_base_error"


class SchemaVersionError(KnowledgeBaseError):
    """The database was created by an older (or newer) schema than this advisor uses."""

    error_code = "schema_version"


class ValidationError(KnowledgeBaseError):
    """Contributed records are invalid; ``problems`` lists ``(index, reason)`` pairs."""

    error_code = "invalid_records"

    def __init__(self, message: str, problems: list[tuple[int, str]] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])


class ConflictError(KnowledgeBaseError):
    """A trial id was sent again with values that differ from the stored ones."""

    error_code = "conflict"

    def __init__(self, message: str, problems: list[tuple[int, str]] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])


class RankerError(AdvisorError):
    """The ranker cannot be trained, loaded or used."""

    error_code = "ranker_error"


class SearchError(AdvisorError):
    """A search cannot run (bad budget, unknown strategy, storage problem), or a final
    training failed (``status`` says how: ``diverged``, ``failed``, ``timeout``)."""

    error_code = "search_error"

    def __init__(self, message: str, status: str | None = None) -> None:
        super().__init__(message)
        self.status = status


class ServiceError(AdvisorError):
    """The HTTP service answered with an error (raised by the Python client)."""

    error_code = "service_error"

    def __init__(self, message: str, status_code: int = 0, error_code: str | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        if error_code:
            self.error_code = error_code


class MissingDependencyError(AdvisorError):
    """An optional dependency is missing; the message says which extra to install."""

    error_code = "missing_dependency"
