"""Evaluation model versions: the model files, their sync into the ledger, drafts."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.catalog import service as catalog_service
from xinyong.core.errors import Conflict, NotFound
from xinyong.core.settings import get_settings
from xinyong.evaluation.model import (
    ModelError,
    ModelSpec,
    load_model_file,
    parse_model,
)
from xinyong.evaluation.models import EvaluationModel
from xinyong.evaluation.schemas import (
    ModelDetail,
    ModelInfo,
)
from xinyong.ledger import service as ledger


def models_dir() -> Path:
    return Path(get_settings().ruleset_dir) / "models"


def load_model_files(directory: Path) -> list[ModelSpec]:
    """Load and validate every model file under ``directory`` (``ModelError`` on the first
    problem): the files one by one, then the set (one model per subject kind at a time)."""
    catalog = catalog_service.get_catalog()
    files = sorted(Path(directory).glob("*.yaml"))
    if not files:
        raise ModelError(
            f"No model files under {directory}",
            f"目录 {directory} 下没有评价模型文件",
            rule="file_missing",
            where=str(directory),
        )
    specs = [load_model_file(p, catalog) for p in files]
    seen: dict[tuple[str, str], str] = {}
    starts: dict[tuple[str, date], str] = {}
    for spec, path in zip(specs, files, strict=True):
        key = (spec.code, spec.version)
        if key in seen:
            raise ModelError(
                f"Model {spec.code} version {spec.version} is defined twice ({seen[key]}, {path.name})",
                f"评价模型 {spec.code} 的版本 {spec.version} 重复定义（{seen[key]}、{path.name}）",
                rule="duplicate_version",
                where=path.name,
            )
        seen[key] = path.name
        for kind in spec.subject_kinds:
            other = starts.get((kind, spec.effective_from))
            if other is not None and other != spec.code:
                raise ModelError(
                    f"Models {other} and {spec.code} both start on {spec.effective_from} for {kind}",
                    f"评价模型 {other} 与 {spec.code} 在 {spec.effective_from} 同时适用于 {kind}",
                    rule="overlapping_models",
                    where=path.name,
                )
            starts[(kind, spec.effective_from)] = spec.code
    return specs


_models_lock = threading.Lock()
_models_cache: dict[tuple[str, tuple[tuple[str, float], ...]], list[tuple[ModelSpec, str]]] = {}


def get_model_files() -> list[tuple[ModelSpec, str]]:
    """The ruleset's model files (validated), with their file names; re-read when a file changes."""
    directory = models_dir()
    files = sorted(directory.glob("*.yaml"))
    key = (str(directory), tuple((p.name, p.stat().st_mtime) for p in files))
    with _models_lock:
        hit = _models_cache.get(key)
        if hit is None:
            specs = load_model_files(directory)
            hit = [(s, p.name) for s, p in zip(specs, files, strict=True)]
            _models_cache.clear()
            _models_cache[key] = hit
        return hit


def reset_model_files_cache() -> None:
    """Forget the loaded model files (the next ``get_model_files`` reads them again)."""
    with _models_lock:
        _models_cache.clear()


def models_in_force(as_of: date) -> list[ModelSpec]:
    """For each subject kind, the published model version in force on ``as_of`` (the latest
    ``effective_from`` not after it); one entry per model version."""
    best: dict[str, ModelSpec] = {}
    for spec, _ in get_model_files():
        if spec.effective_from > as_of:
            continue
        for kind in spec.subject_kinds:
            cur = best.get(kind)
            if cur is None or spec.effective_from > cur.effective_from:
                best[kind] = spec
    out: dict[tuple[str, str], ModelSpec] = {}
    for spec in best.values():
        out[(spec.code, spec.version)] = spec
    return list(out.values())


def _model_info(row: EvaluationModel) -> ModelInfo:
    content = row.content or {}
    return ModelInfo(
        id=row.id,
        code=row.code,
        version=row.version,
        status=row.status,
        name_zh=str(content.get("name_zh", "")),
        subject_kinds=list(content.get("subject_kinds", [])),
        effective_from=row.effective_from,
        content_hash=row.content_hash,
        source_file=row.source_file,
        created_at=row.created_at,
    )


def sync_models(session: Session) -> list[ModelInfo]:
    """Register the ruleset's model versions in the store. A new version is stored and appended
    to the ledger (``evaluation.model``); an existing version whose content changed is refused:
    a model change needs a new version, so past grades stay reproducible."""
    out = []
    for spec, filename in get_model_files():
        out.append(_model_info(_register(session, spec, "published", filename)))
    return out


def _register(
    session: Session,
    spec: ModelSpec,
    status: str,
    source_file: str | None,
    created_by: str | None = None,
    note: str = "",
) -> EvaluationModel:
    digest = spec.content_hash()
    row = session.scalar(
        select(EvaluationModel).where(
            EvaluationModel.code == spec.code, EvaluationModel.version == spec.version
        )
    )
    if row is not None:
        if row.content_hash != digest or row.status != status:
            raise Conflict(
                f"Model {spec.code} version {spec.version} already exists with other content: give the change a new version",
                f"评价模型 {spec.code} 的版本 {spec.version} 已存在且内容不同：修改模型须使用新的版本号",
                code="evaluation.model_version_exists",
                model=spec.code,
                version=spec.version,
            )
        return row
    row = EvaluationModel(
        code=spec.code,
        version=spec.version,
        status=status,
        effective_from=spec.effective_from,
        content=spec.model_dump(mode="json"),
        content_hash=digest,
        source_file=source_file,
        created_by=created_by,
        note=note,
    )
    session.add(row)
    session.flush()
    ledger.append(
        session,
        "evaluation.model",
        f"evaluation_model:{spec.code}/{spec.version}",
        {
            "model": spec.code,
            "version": spec.version,
            "status": status,
            "effective_from": spec.effective_from.isoformat(),
            "content_hash": digest,
            "source_file": source_file,
            "created_by": created_by,
        },
    )
    return row


def _spec_of(row: EvaluationModel) -> ModelSpec:
    return ModelSpec.model_validate(row.content)


def public_grade_name(
    session: Session, code: str | None, version: str | None, grade: str | None
) -> str | None:
    """The grade's Chinese name (e.g. 良好) when the model version that gave it puts grades on
    the subject's public page (its file's ``publication.grade_public``); None otherwise."""
    if not code or not version or not grade:
        return None
    row = session.scalar(
        select(EvaluationModel).where(
            EvaluationModel.code == code,
            EvaluationModel.version == version,
            EvaluationModel.status == "published",
        )
    )
    if row is None:
        return None
    spec = _spec_of(row)
    if spec.publication is None or not spec.publication.grade_public or grade not in spec.grade_codes():
        return None
    return spec.grade(grade).name_zh


def list_models(session: Session, status: str | None = None) -> list[ModelInfo]:
    sync_models(session)
    stmt = select(EvaluationModel).order_by(
        EvaluationModel.code, EvaluationModel.effective_from, EvaluationModel.id
    )
    if status:
        stmt = stmt.where(EvaluationModel.status == status)
    return [_model_info(r) for r in session.scalars(stmt)]


def _stored_model(session: Session, model_id: int) -> EvaluationModel:
    """A stored model version by id (published or draft); a 404 when there is none."""
    row = session.get(EvaluationModel, model_id)
    if row is None:
        raise NotFound(
            f"Evaluation model {model_id} not found",
            f"未找到评价模型 {model_id}",
            code="evaluation.model_not_found",
        )
    return row


def get_model(session: Session, model_id: int) -> ModelDetail:
    row = _stored_model(session, model_id)
    return ModelDetail(**_model_info(row).model_dump(), content=row.content)


def create_draft(
    session: Session,
    *,
    content: dict[str, Any] | None = None,
    yaml_text: str | None = None,
    created_by: str | None = None,
    note: str = "",
) -> ModelInfo:
    """Store a draft model (staff) after validating it like a model file. It grades nobody
    until a city publishes it by putting the file in its ruleset."""
    if yaml_text is not None:
        try:
            content = yaml.safe_load(yaml_text)
        except yaml.YAMLError as exc:
            raise ModelError(
                f"Draft is not valid YAML: {exc}", f"草稿不是有效的 YAML：{exc}", rule="yaml_syntax"
            ) from exc
    if not isinstance(content, dict):
        raise ModelError("A draft needs the model's content", "草稿须包含模型内容", rule="schema")
    spec = parse_model(content, "(draft)", catalog_service.get_catalog())
    row = _register(session, spec, "draft", None, created_by, note)
    return _model_info(row)
