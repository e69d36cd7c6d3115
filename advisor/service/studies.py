"""Ask/tell studies for a client's own tuner: warm-started Optuna studies that survive restarts.

A study is an Optuna study in RDB storage next to the knowledge base (see
:func:`advisor.service.settings.studies_url`). Its user attributes hold what the service needs
to rebuild it in any process, after any restart: space, task, direction, objective, budget and
the dataset's meta-features. Creating a study enqueues the ranker's top suggestions (the warm
start); later trials come from :class:`advisor.search.AdvisorSampler`, which continues the
same list for those meta-features (user attribute ``proposed_by``). Every told trial is also
written to the knowledge base (the dataset is identified by a hash of its meta-feature vector,
since clients send no data).

Ask and tell hold the knowledge base's ``studies`` lock (a file lock next to a SQLite file, a
PostgreSQL advisory lock), so concurrent clients and worker processes never hand out more than
the budget or tell a trial twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import optuna
import orjson
from optuna.storages import RDBStorage
from optuna.trial import FrozenTrial, TrialState

from advisor._version import __version__
from advisor.facade import distributions, enqueue_warm_start, make_trial_id
from advisor.service.errors import ApiError
from advisor.service.models import CreateStudyRequest, TellRequest
from advisor.service.settings import pg_schema, studies_url
from advisor_core.errors import ConfigError
from advisor_core.metafeature_schema import VERSION as META_VERSION
from advisor_core.metafeature_schema import check_vector, feature_names
from advisor_core.objectives import DEFAULT_OBJECTIVE
from advisor_core.spaces import SearchSpace
from knowledge_base import TrialRecord

if TYPE_CHECKING:
    from advisor.service.runtime import Runtime

__all__ = ["StudyService", "meta_features_fingerprint"]

log = logging.getLogger("advisor.service")

READY = "advisor_service_ready"
_SCHEMA_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_MAX_SAMPLERS = 64


def meta_features_fingerprint(task: str, meta_features: dict[str, float | None]) -> str:
    """A dataset fingerprint from its meta-feature vector (clients send no data)."""
    vector = [meta_features.get(n) for n in feature_names()]
    text = orjson.dumps(["advisor-service", META_VERSION, task, vector])
    return hashlib.sha256(text).hexdigest()[:32]


def _count(value: float | None, lo: int, hi: int, default: int) -> int:
    if value is None or value != value or abs(value) == float("inf"):
        return default
    return int(min(hi, max(lo, round(value))))


def _dataset_info(sid: str, task: str, mf: dict[str, float | None]) -> dict[str, Any]:
    info: dict[str, Any] = {
        "fingerprint": meta_features_fingerprint(task, mf),
        "name": f"study:{sid}",
        "source": "advisor-service",
        "task": task,
        "n_rows": _count(mf.get("n_rows"), 1, 10**12, 1),
        "n_features": _count(mf.get("n_features"), 1, 10**9, 1),
        "meta_features_version": META_VERSION,
        "meta_features": dict(mf),
    }
    if task == "classification":
        info["n_classes"] = _count(mf.get("n_classes"), 2, 100_000, 2)
    return info


class StudyService:
    """Create, ask, tell and show studies (see the module docstring)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.url = runtime.settings.studies_url or studies_url(runtime.kb.url)
        self._rdb: RDBStorage | None = None
        self._init = threading.Lock()
        self._samplers: OrderedDict[str, Any] = OrderedDict()
        optuna.logging.set_verbosity(optuna.logging.WARNING)

    def close(self) -> None:
        if self._rdb is not None:
            self._rdb.engine.dispose()

    # -- storage --------------------------------------------------------------------------------
    def storage(self) -> RDBStorage:
        if self._rdb is not None:
            return self._rdb
        with self._init, self.runtime.kb.store.init_lock("studies"):
            if self._rdb is None:
                self._rdb = self._open()
        return self._rdb

    def _open(self) -> RDBStorage:
        from sqlalchemy import text
        from sqlalchemy.engine import make_url

        u = make_url(self.url)
        kwargs: dict[str, Any] = {}
        if u.get_backend_name() == "postgresql":
            schema = pg_schema(str(u.query.get("options", "")))
            if schema:
                if not _SCHEMA_RE.match(schema):
                    raise ConfigError(f"studies schema {schema!r} is not a plain identifier")
                engine = self.runtime.kb.store.engine
                with engine.connect() as conn:
                    conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
                    conn.commit()
            kwargs = {"pool_pre_ping": True}
        elif u.get_backend_name() == "sqlite":
            kwargs = {"connect_args": {"timeout": 30}}
        storage = RDBStorage(self.url, engine_kwargs=kwargs)
        if u.get_backend_name() == "sqlite":
            with storage.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        return storage

    def _lock(self) -> Any:
        return self.runtime.kb.store.init_lock("studies")

    def _load(self, sid: str) -> tuple[int, dict[str, Any]]:
        storage = self.storage()
        try:
            number = storage.get_study_id_from_name(sid)
        except KeyError:
            raise ApiError(404, "study_not_found", f"no study {sid!r}") from None
        attrs = storage.get_study_user_attrs(number)
        if not attrs.get(READY):
            raise ApiError(404, "study_not_found", f"no study {sid!r} (never completed)")
        return number, attrs

    def _space(self, attrs: dict[str, Any]) -> SearchSpace:
        return self.runtime.advisor.space(str(attrs["space"]), int(attrs["space_version"]))

    def _sampler(self, sid: str, attrs: dict[str, Any]) -> Any:
        sampler = self._samplers.get(sid)
        if sampler is None:
            # seed 0, as the suggestions of the warm start: the sampler continues their list
            sampler = self.runtime.advisor.sampler(
                attrs["meta_features"],
                task=str(attrs["task"]),
                space=f"{attrs['space']}@{attrs['space_version']}",
            )
            self._samplers[sid] = sampler
            while len(self._samplers) > _MAX_SAMPLERS:
                self._samplers.popitem(last=False)
        else:
            self._samplers.move_to_end(sid)
        return sampler

    # -- operations -----------------------------------------------------------------------------
    def create(self, req: CreateStudyRequest) -> dict[str, Any]:
        sid = req.name or f"st-{secrets.token_hex(10)}"
        self.runtime.check_space(req.space)
        space = self.runtime.advisor.space(req.space)
        raw_mf = req.meta_features.model_dump()  # type: ignore[attr-defined]
        mf = check_vector(META_VERSION, raw_mf)
        self.runtime.rankers.get(req.space)  # a space whose ranker cannot train: 409 now
        warm: list[dict[str, Any]] = []
        k = min(req.warm_start, req.n_trials)
        if k:
            advice = self.runtime.advice_dict(mf, req.task, k, req.space)
            warm = [dict(s["config"]) for s in advice["suggestions"]][:k]
        maximize = req.direction == "maximize"
        objective = req.objective or (DEFAULT_OBJECTIVE[req.task] if maximize else "loss")
        attrs: dict[str, Any] = {
            "uid": secrets.token_hex(16),
            "space": space.name,
            "space_version": space.version,
            "task": req.task,
            "direction": req.direction,
            "objective": objective,
            "n_trials": req.n_trials,
            "meta_features": mf,
            "dataset": _dataset_info(sid, req.task, mf),
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
        }
        storage = self.storage()
        direction = optuna.study.StudyDirection["MAXIMIZE" if maximize else "MINIMIZE"]
        with self._lock():
            try:
                number = storage.create_new_study([direction], sid)
            except optuna.exceptions.DuplicatedStudyError:
                raise ApiError(409, "study_exists", f"a study named {sid!r} exists") from None
            for key, value in attrs.items():
                storage.set_study_user_attr(number, key, value)
            enqueue_warm_start(optuna.load_study(study_name=sid, storage=storage), warm)
            storage.set_study_user_attr(number, READY, True)
        return self.info(sid)

    def ask(self, sid: str) -> dict[str, Any]:
        storage = self.storage()
        with self._lock():
            number, attrs = self._load(sid)
            trials = storage.get_all_trials(number, deepcopy=False)
            asked = sum(1 for t in trials if t.state != TrialState.WAITING)
            if asked >= int(attrs["n_trials"]):
                raise ApiError(
                    409,
                    "budget_exhausted",
                    f"study {sid!r} has used its budget of {attrs['n_trials']} trials",
                )
            space = self._space(attrs)
            sampler = self._sampler(sid, attrs)
            study = optuna.load_study(study_name=sid, storage=storage, sampler=sampler)
            trial = study.ask(distributions(space))
            who = sampler.proposer(study, trial.number)
            if who is not None:
                trial.set_user_attr("proposed_by", who)
            config = space.validate(
                {p.name: trial.params[p.name] for p in space.params}, complete=True
            )
            warm = bool(trial.user_attrs.get("warm_start", False))
        return {"study_id": sid, "trial": trial.number, "config": config, "warm_start": warm}

    def tell(self, sid: str, req: TellRequest) -> dict[str, Any]:
        storage = self.storage()
        with self._lock():
            number, attrs = self._load(sid)
            try:
                trial_id = storage.get_trial_id_from_study_id_trial_number(number, req.trial)
            except KeyError:
                raise ApiError(
                    404, "trial_not_found", f"study {sid!r} has no trial {req.trial}"
                ) from None
            frozen = storage.get_trial(trial_id)
            if frozen.state == TrialState.WAITING:
                raise ApiError(
                    409, "trial_not_asked", f"trial {req.trial} of {sid!r} has not been asked"
                )
            if frozen.state.is_finished():
                raise ApiError(
                    409,
                    "trial_already_told",
                    f"trial {req.trial} of {sid!r} was already told ({frozen.state.name.lower()})",
                )
            state, values = _state(req)
            maximize = attrs["direction"] == "maximize"
            record = self._record(sid, attrs, frozen, req, maximize)
            self.runtime.kb.contribute([record])
            curve = req.learning_curve or []
            steps = {p.epoch: p.objective for p in curve if p.objective is not None}
            if req.status == "pruned" and req.value is not None:
                steps[max(steps, default=record.epochs)] = req.value
            for step, value in sorted(steps.items()):
                storage.set_trial_intermediate_value(trial_id, step, float(value))
            storage.set_trial_user_attr(trial_id, "status", req.status)
            storage.set_trial_user_attr(trial_id, "epochs", record.epochs)
            study = optuna.load_study(
                study_name=sid, storage=storage, sampler=optuna.samplers.RandomSampler()
            )
            told = study.tell(req.trial, values, state=state)
        return {
            "study_id": sid,
            "trial": req.trial,
            "status": req.status,
            "state": told.state.name.lower(),
            "value": told.value if told.values else None,
            "trial_id": record.trial_id,
        }

    def _record(
        self,
        sid: str,
        attrs: dict[str, Any],
        frozen: FrozenTrial,
        req: TellRequest,
        maximize: bool,
    ) -> TrialRecord:
        sign = 1.0 if maximize else -1.0
        space = self._space(attrs)
        config = space.validate(dict(frozen.params), complete=True)
        curve: list[dict[str, Any]] = [
            {
                "epoch": p.epoch,
                "objective": None if p.objective is None else sign * p.objective,
                "train_loss": p.train_loss,
                "valid_loss": p.valid_loss,
            }
            for p in req.learning_curve or []
        ]
        last_epoch = curve[-1]["epoch"] if curve else 0
        epochs = req.epochs if req.epochs is not None else last_epoch
        max_epochs = req.max_epochs if req.max_epochs is not None else max(epochs, last_epoch, 1)
        score: float | None = None
        if req.status in ("complete", "timeout", "pruned"):
            raw = req.value
            if raw is None and req.status == "pruned":  # its last reported value
                told = [p.objective for p in req.learning_curve or [] if p.objective is not None]
                raw = told[-1] if told else None
            score = None if raw is None else sign * raw
        objective = str(attrs["objective"])
        if not maximize:
            objective = f"neg_{objective}"
        runtime = req.runtime_s
        if runtime is None:
            start = frozen.datetime_start
            runtime = (
                max(0.0, (dt.datetime.now() - start).total_seconds()) if start is not None else 0.0
            )
        return TrialRecord(
            trial_id=make_trial_id("advisor-service", attrs["uid"], frozen.number),
            dataset=attrs["dataset"],
            space=space.name,
            space_version=space.version,
            config=config,
            seed=0,
            epochs=epochs,
            max_epochs=max_epochs,
            learning_curve=curve,
            metrics=dict(req.metrics or {}),
            objective=objective,
            score=score,
            status=req.status,
            runtime_s=round(float(runtime), 4),
            advisor_version=__version__,
            contributor="advisor-service",
            created_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        )

    def info(self, sid: str) -> dict[str, Any]:
        storage = self.storage()
        number, attrs = self._load(sid)
        trials = storage.get_all_trials(number, deepcopy=False)
        space = self._space(attrs)
        maximize = attrs["direction"] == "maximize"
        rows: list[dict[str, Any]] = []
        for t in trials:
            try:
                config = space.validate(dict(t.params), complete=True) if t.params else {}
            except ConfigError:
                config = dict(t.params)
            if not config and t.state == TrialState.WAITING:
                fixed = t.system_attrs.get("fixed_params") or {}
                config = dict(fixed)
            rows.append(
                {
                    "number": t.number,
                    "state": t.state.name.lower(),
                    "status": t.user_attrs.get("status"),
                    "value": t.value if t.state == TrialState.COMPLETE and t.values else None,
                    "config": config,
                    "warm_start": bool(t.user_attrs.get("warm_start", False)),
                }
            )
        done = [r for r in rows if r["state"] == "complete" and r["value"] is not None]
        best = None
        if done:
            best = (max if maximize else min)(done, key=lambda r: float(r["value"]))
        asked = sum(1 for r in rows if r["state"] != "waiting")
        budget = int(attrs["n_trials"])
        return {
            "study_id": sid,
            "space": str(attrs["space"]),
            "task": str(attrs["task"]),
            "direction": str(attrs["direction"]),
            "objective": str(attrs["objective"]),
            "budget": budget,
            "n_trials": asked,
            "n_complete": len(done),
            "n_pruned": sum(1 for r in rows if r["state"] == "pruned"),
            "n_failed": sum(1 for r in rows if r["state"] == "fail"),
            "n_running": sum(1 for r in rows if r["state"] == "running"),
            "remaining": max(0, budget - asked),
            "best_value": None if best is None else best["value"],
            "best_config": None if best is None else best["config"],
            "trials": rows,
        }


def _state(req: TellRequest) -> tuple[TrialState, float | None]:
    """Optuna's state and value for a told status (422 for combinations that make no sense)."""
    if req.status == "complete":
        if req.value is None:
            raise ApiError(422, "invalid_request", "a complete trial needs a finite value")
        return TrialState.COMPLETE, req.value
    if req.status == "timeout":
        if req.value is None:
            return TrialState.FAIL, None
        return TrialState.COMPLETE, req.value
    if req.status == "pruned":
        return TrialState.PRUNED, None
    if req.value is not None:
        raise ApiError(422, "invalid_request", f"a {req.status} trial has no value (send null)")
    return TrialState.FAIL, None
