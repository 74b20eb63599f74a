"""Running an import: at once (small files, the API, the command) or queued for a worker
that reports its progress on the ``ImportRun`` row the result page polls."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _

from core.audit_source import audit_source
from core.people import person_or_none
from core.types import AnyUser

from ..models import ImportKind, ImportRun
from .account_rows import check_accounts
from .parsing import (
    ACCOUNT_COLUMNS,
    ACCOUNT_REQUIRED,
    STAKEHOLDER_COLUMNS,
    STAKEHOLDER_REQUIRED,
    ImportFileError,
    ImportResult,
    Progress,
    RowError,
    check_header,
    read_csv,
    rejected_csv,
)
from .stakeholder_rows import check_stakeholders


def _execute(
    *,
    actor: AnyUser,
    kind: str,
    data: bytes,
    valid_only: bool,
    progress: Progress | None = None,
    on_write: Callable[[], None] | None = None,
) -> ImportResult:
    """Check every row, then write all (or, with ``valid_only``, the valid ones)."""
    result = ImportResult(kind=kind)
    columns, required = (
        (ACCOUNT_COLUMNS, ACCOUNT_REQUIRED)
        if kind == ImportKind.ACCOUNTS
        else (STAKEHOLDER_COLUMNS, STAKEHOLDER_REQUIRED)
    )
    header: list[str] = []
    rows: list[dict[str, str]] = []
    try:
        if kind not in ImportKind.values:
            raise ImportFileError(_("Unknown import kind."))
        header, rows = read_csv(data)
        result.total_rows = len(rows)
        result.errors = check_header(header, columns, required)
    except ImportFileError as exc:
        result.errors = [RowError(0, "file", str(exc))]
    if result.errors:
        return result
    checked = (check_accounts if kind == ImportKind.ACCOUNTS else check_stakeholders)(actor, rows, progress)
    result.errors = checked.errors
    if progress is not None:
        progress(len(rows))
    if checked.anything_to_write and (valid_only or not result.errors):
        if on_write is not None:
            on_write()
        with transaction.atomic():
            result.created, result.updated, result.unchanged = checked.write()
        result.written = True
    if result.errors:
        result.rejected_csv = rejected_csv(header, rows, result.errors)
    return result


def _fill_run(run: ImportRun, result: ImportResult) -> ImportRun:
    header_or_file_error = any(e.row <= 1 for e in result.errors)
    run.status = (
        ImportRun.Status.DONE
        if not result.errors
        else ImportRun.Status.PARTIAL
        if result.written and not header_or_file_error
        else ImportRun.Status.REJECTED
    )
    run.total_rows = result.total_rows
    run.processed = result.total_rows
    run.created = result.created
    run.updated = result.updated
    run.unchanged = result.unchanged
    run.rejected = result.rejected_rows
    run.errors = [e.as_dict() for e in result.errors[:5000]]
    run.rejected_csv = result.rejected_csv
    run.source = b""
    return run


def csv_import(
    *,
    actor: AnyUser,
    kind: str,
    data: bytes,
    filename: str = "",
    valid_only: bool = False,
    progress: Progress | None = None,
) -> tuple[ImportResult, ImportRun]:
    """Import a file now (page for small files, API, management command).

    The run row comes first so that every history row the import writes names it
    (``import #<id>``, core.audit_source); one transaction holds both, so an import that
    crashes leaves neither a half-written file nor a run stuck at "Checking rows"."""
    with transaction.atomic():
        return _csv_import_run(
            actor=actor, kind=kind, data=data, filename=filename, valid_only=valid_only, progress=progress
        )


def _csv_import_run(
    *, actor: AnyUser, kind: str, data: bytes, filename: str, valid_only: bool, progress: Progress | None
) -> tuple[ImportResult, ImportRun]:
    run = ImportRun.objects.create(
        actor=person_or_none(actor),
        kind=kind if kind in ImportKind.values else ImportKind.ACCOUNTS,
        filename=filename[:255],
        valid_only=valid_only,
        status=ImportRun.Status.VALIDATING,
    )
    with audit_source(f"import #{run.pk}"):
        result = _execute(actor=actor, kind=kind, data=data, valid_only=valid_only, progress=progress)
    _fill_run(run, result)
    run.save()
    return result, run


def estimated_rows(data: bytes) -> int:
    """Lines after the header: cheap, and exact unless quoted cells hold line breaks."""
    return max(data.count(b"\n") - (0 if data.endswith(b"\n") else -1) - 1, 0)


@transaction.atomic
def import_start(*, actor: AnyUser, kind: str, data: bytes, filename: str = "", valid_only: bool = False) -> ImportRun:
    """Small files are imported at once; above ``HOURGLASS_IMPORT_ASYNC_ROWS`` rows the file
    is stored with a queued run and a worker imports it, reporting progress on the run."""
    if estimated_rows(data) <= settings.HOURGLASS_IMPORT_ASYNC_ROWS or kind not in ImportKind.values:
        return csv_import(actor=actor, kind=kind, data=data, filename=filename, valid_only=valid_only)[1]
    from ..tasks import import_run_task

    run = ImportRun.objects.create(
        actor=person_or_none(actor),
        kind=kind,
        filename=filename[:255],
        valid_only=valid_only,
        status=ImportRun.Status.QUEUED,
        total_rows=estimated_rows(data),
        source=data,
        language=get_language() or "",
    )
    transaction.on_commit(lambda: import_run_task.delay(run_id=run.pk))
    return run


def import_run_execute(*, run_id: int) -> ImportRun | None:
    """Run a queued import (the worker's side of ``import_start``).

    The run is claimed with a conditional update, so a redelivered or duplicated task
    finds it no longer queued and does nothing. Progress goes straight to the row (no
    surrounding transaction) so that the result page can poll it.
    """
    claimed = ImportRun.objects.filter(pk=run_id, status=ImportRun.Status.QUEUED).update(
        status=ImportRun.Status.VALIDATING, processed=0
    )
    if not claimed:
        return None
    run = ImportRun.objects.select_related("actor").get(pk=run_id)

    def progress(done: int) -> None:
        ImportRun.objects.filter(pk=run_id).update(processed=done)

    def on_write() -> None:
        ImportRun.objects.filter(pk=run_id).update(status=ImportRun.Status.WRITING)

    if run.actor is None or not run.actor.is_active:
        result = ImportResult(
            kind=run.kind, errors=[RowError(0, "file", _("The person who started this import can no longer import."))]
        )
    else:
        with override(run.language or settings.LANGUAGE_CODE):
            try:
                with audit_source(f"import #{run.pk}"):
                    result = _execute(
                        actor=run.actor,
                        kind=run.kind,
                        data=bytes(run.source),
                        valid_only=run.valid_only,
                        progress=progress,
                        on_write=on_write,
                    )
            except Exception:
                _fill_run(
                    run,
                    ImportResult(
                        kind=run.kind,
                        errors=[RowError(0, "file", _("The import failed unexpectedly; nothing was written."))],
                    ),
                )
                run.save()
                raise
    _fill_run(run, result)
    run.save()
    return run
