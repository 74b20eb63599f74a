"""CSV import of accounts and stakeholders (a CRM export), all-or-nothing by default.

Every row is validated before anything is written; each problem is reported with its
row number (the header is row 1), column and reason. By default one bad row means
nothing is written; with ``valid_only`` the valid rows are written and the rejected
ones come back as a CSV (with an ``error`` column) to fix and re-import.
Re-importing the same file changes nothing: accounts are matched by external id,
stakeholders by account + email (or name when there is no email).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from .access import AnyUser
from .dossier import dossier_rescore
from .models import (
    Account,
    AccountStatus,
    IcpFit,
    ImportKind,
    ImportRun,
    Industry,
    KeyPersonLevel,
    RelationshipStage,
    Stakeholder,
    Tier,
)
from .selectors import account_scope, assignable_owners

MAX_ROWS = 200_000
PROGRESS_EVERY = 1000  # rows between two progress reports
ENCODINGS = ("utf-8-sig", "gb18030")  # Chinese CRM exports are often GBK/GB18030

ACCOUNT_COLUMNS = ("external_id", "name", "industry", "arr", "icp_fit", "owner", "go_live_date", "status")
ACCOUNT_REQUIRED = ("external_id", "name")
STAKEHOLDER_COLUMNS = (
    "account_external_id", "name", "email", "title", "department", "phone", "tier", "key_level", "relationship",
)  # fmt: skip
STAKEHOLDER_REQUIRED = ("account_external_id", "name")


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass
class ImportResult:
    kind: str
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    rejected_csv: str = ""
    written: bool = False

    @property
    def rejected_rows(self) -> int:
        return len({e.row for e in self.errors if e.row > 1})


Progress = Callable[[int], None]  # called with the number of rows checked so far


class ImportFileError(Exception):
    """The file as a whole cannot be read (encoding, header, size)."""


def _choice_lookup(choices: Iterable[tuple[Any, Any]]) -> dict[str, Any]:
    """Accept the code and the label in English or Chinese (exports use labels)."""
    table: dict[str, Any] = {}
    for value, label in choices:
        table[str(value).strip().lower()] = value
        for language in ("en", "zh-hans"):
            with override(language):
                table[str(label).strip().lower()] = value
    return table


def read_csv(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a CSV file; ImportFileError when it is not readable text."""
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError(_("The file is not UTF-8 or GB18030 text; export it as CSV (UTF-8)."))
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    reader.fieldnames = header
    rows: list[dict[str, str]] = []
    for row in reader:
        if len(rows) >= MAX_ROWS:
            raise ImportFileError(_("More than %(max)s rows; split the file.") % {"max": MAX_ROWS})
        rows.append({key: (value or "").strip() for key, value in row.items() if key})
    if not rows:
        raise ImportFileError(_("The file has a header but no rows."))
    return header, rows


def _check_header(header: list[str], columns: tuple[str, ...], required: tuple[str, ...]) -> list[RowError]:
    errors = [RowError(1, name, _("Required column is missing.")) for name in required if name not in header]
    errors += [RowError(1, name, _("Unknown column.")) for name in header if name not in columns]
    return errors


def _parse_decimal(text: str) -> Decimal:
    value = Decimal(text.replace(",", "").replace("¥", "").replace("$", ""))
    if not value.is_finite():
        raise InvalidOperation
    return value


def _validate_accounts(
    actor: AnyUser, rows: list[dict[str, str]], progress: Progress | None = None
) -> tuple[list[dict[str, Any]], list[RowError]]:
    industries = _choice_lookup(Industry.choices)
    fits = _choice_lookup(IcpFit.choices)
    statuses = _choice_lookup(AccountStatus.choices)
    owners = {}
    for user in assignable_owners(user=actor):
        owners[user.username.lower()] = user
        if user.email:
            owners[user.email.lower()] = user
    external_ids = [row.get("external_id", "") for row in rows if row.get("external_id")]
    visible = set(account_scope(user=actor).filter(external_id__in=external_ids).values_list("external_id", flat=True))
    taken = set(Account.objects.filter(external_id__in=external_ids).values_list("external_id", flat=True))
    seen: dict[str, int] = {}
    valid, errors = [], []
    for index, row in enumerate(rows, start=2):
        if progress is not None and index > 2 and (index - 2) % PROGRESS_EVERY == 0:
            progress(index - 2)  # rows checked before this one
        row_errors: list[RowError] = []
        clean: dict[str, Any] = {"_row": index}

        def bad(column: str, reason: str, row_number: int = index, sink: list[RowError] = row_errors) -> None:
            sink.append(RowError(row_number, column, reason))

        external_id = row.get("external_id", "")
        if not external_id:
            bad("external_id", _("Required."))
        elif len(external_id) > 100:
            bad("external_id", _("At most 100 characters."))
        elif external_id in seen:
            bad("external_id", _("Duplicate of row %(row)s.") % {"row": seen[external_id]})
        elif external_id in taken and external_id not in visible:
            bad("external_id", _("Used by an account you cannot edit."))
        seen.setdefault(external_id, index)
        clean["external_id"] = external_id
        name = row.get("name", "")
        if not name:
            bad("name", _("Required."))
        elif len(name) > 200:
            bad("name", _("At most 200 characters."))
        clean["name"] = name
        for column, table in (("industry", industries), ("icp_fit", fits), ("status", statuses)):
            text = row.get(column, "")
            if text:
                if text.lower() not in table:
                    bad(column, _("Unknown value %(value)r.") % {"value": text})
                else:
                    clean[column] = table[text.lower()]
        if row.get("arr"):
            try:
                arr = _parse_decimal(row["arr"])
                if arr < 0:
                    bad("arr", _("Must not be negative."))
                clean["arr"] = arr.quantize(Decimal("0.01"))
            except (InvalidOperation, ValueError):
                bad("arr", _("Not a number: %(value)r.") % {"value": row["arr"]})
        if row.get("owner"):
            owner = owners.get(row["owner"].lower())
            if owner is None:
                bad("owner", _("No such user, or not one you may assign: %(value)r.") % {"value": row["owner"]})
            clean["owner"] = owner
        if row.get("go_live_date"):
            try:
                clean["go_live_date"] = date.fromisoformat(row["go_live_date"])
            except ValueError:
                bad("go_live_date", _("Not a date (YYYY-MM-DD): %(value)r.") % {"value": row["go_live_date"]})
        if row_errors:
            errors.extend(row_errors)
        else:
            valid.append(clean)
    return valid, errors


def _write_accounts(actor: AnyUser, valid: list[dict[str, Any]], result: ImportResult) -> None:
    wanted = [v["external_id"] for v in valid]
    existing = {a.external_id: a for a in account_scope(user=actor).filter(external_id__in=wanted)}
    to_create: list[Account] = []
    to_update: list[Account] = []
    fields = [name for name in ACCOUNT_COLUMNS if name != "external_id"]
    for values in valid:
        account = existing.get(values["external_id"])
        if account is None:
            account = Account(external_id=values["external_id"])
            for name in fields:
                if name in values:
                    setattr(account, name, values[name])
            if account.owner_id is None and "owner" not in values and getattr(actor, "is_superuser", False) is False:
                account.owner = actor  # type: ignore[assignment]
            to_create.append(account)
            continue
        changed = False
        for name in fields:
            if name not in values:
                continue
            # Compare the owner by id: reading ``account.owner`` would cost a query a row.
            current = account.owner_id if name == "owner" else getattr(account, name)
            target = getattr(values[name], "pk", None) if name == "owner" else values[name]
            if current != target:
                setattr(account, name, values[name])
                changed = True
        if changed:
            to_update.append(account)
        else:
            result.unchanged += 1
    user = actor if getattr(actor, "is_authenticated", False) else None
    if to_create:
        bulk_create_with_history(to_create, Account, batch_size=2000, default_user=user)
    if to_update:
        bulk_update_with_history(to_update, Account, fields, batch_size=2000, default_user=user)
    result.created, result.updated = len(to_create), len(to_update)


def _validate_stakeholders(
    actor: AnyUser, rows: list[dict[str, str]], progress: Progress | None = None
) -> tuple[list[dict[str, Any]], list[RowError]]:
    tiers = _choice_lookup(Tier.choices)
    levels = _choice_lookup(KeyPersonLevel.choices)
    stages = _choice_lookup(RelationshipStage.choices)
    wanted = {row.get("account_external_id", "") for row in rows}
    accounts = {a.external_id: a for a in account_scope(user=actor).filter(external_id__in=wanted)}
    seen: dict[tuple[int, str], int] = {}
    valid, errors = [], []
    for index, row in enumerate(rows, start=2):
        if progress is not None and index > 2 and (index - 2) % PROGRESS_EVERY == 0:
            progress(index - 2)  # rows checked before this one
        row_errors: list[RowError] = []
        clean: dict[str, Any] = {"_row": index}
        account = accounts.get(row.get("account_external_id", ""))
        if not row.get("account_external_id"):
            row_errors.append(RowError(index, "account_external_id", _("Required.")))
        elif account is None:
            row_errors.append(RowError(index, "account_external_id", _("No such account, or not one of yours.")))
        clean["account"] = account
        name = row.get("name", "")
        if not name:
            row_errors.append(RowError(index, "name", _("Required.")))
        clean["name"] = name[:120]
        email = row.get("email", "")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                row_errors.append(RowError(index, "email", _("Not an email address: %(value)r.") % {"value": email}))
        clean["email"] = email.lower()
        for column in ("title", "department", "phone"):
            clean[column] = row.get(column, "")[: 120 if column != "phone" else 40]
        for column, table in (("tier", tiers), ("key_level", levels), ("relationship", stages)):
            text = row.get(column, "")
            if text:
                if text.lower() not in table:
                    row_errors.append(RowError(index, column, _("Unknown value %(value)r.") % {"value": text}))
                else:
                    clean[column] = table[text.lower()]
        if account is not None and name:
            match = (account.pk, clean["email"] or f"name:{name.lower()}")
            if match in seen:
                row_errors.append(RowError(index, "email", _("Duplicate of row %(row)s.") % {"row": seen[match]}))
            seen.setdefault(match, index)
        if row_errors:
            errors.extend(row_errors)
        else:
            valid.append(clean)
    return valid, errors


def _write_stakeholders(actor: AnyUser, valid: list[dict[str, Any]], result: ImportResult) -> None:
    account_ids = {v["account"].pk for v in valid}
    existing: dict[tuple[int, str], Stakeholder] = {}
    for person in Stakeholder.objects.filter(account_id__in=account_ids):
        existing[(person.account_id, person.email.lower() or f"name:{person.name.lower()}")] = person
        existing.setdefault((person.account_id, f"name:{person.name.lower()}"), person)
    fields = [name for name in STAKEHOLDER_COLUMNS if name not in ("account_external_id",)]
    to_create: list[Stakeholder] = []
    to_update: list[Stakeholder] = []
    for values in valid:
        key = (values["account"].pk, values["email"] or f"name:{values['name'].lower()}")
        found = existing.get(key)
        if found is None:
            to_create.append(Stakeholder(account=values["account"], **{k: values[k] for k in fields if k in values}))
            continue
        changed = False
        for name in fields:
            if name in values and getattr(found, name) != values[name]:
                setattr(found, name, values[name])
                changed = True
        if changed:
            to_update.append(found)
        else:
            result.unchanged += 1
    user = actor if getattr(actor, "is_authenticated", False) else None
    if to_create:
        bulk_create_with_history(to_create, Stakeholder, batch_size=2000, default_user=user)
    if to_update:
        bulk_update_with_history(to_update, Stakeholder, fields, batch_size=2000, default_user=user)
    result.created, result.updated = len(to_create), len(to_update)
    # Only accounts whose key people changed can have a different dossier score.
    dossier_rescore(account_ids={person.account_id for person in [*to_create, *to_update]})


def _rejected_csv(header: list[str], rows: list[dict[str, str]], errors: list[RowError]) -> str:
    by_row: dict[int, list[str]] = {}
    for error in errors:
        by_row.setdefault(error.row, []).append(f"{error.column}: {error.reason}")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*header, "error"], extrasaction="ignore")
    writer.writeheader()
    for index, row in enumerate(rows, start=2):
        if index in by_row:
            writer.writerow({**row, "error": "; ".join(by_row[index])})
    return out.getvalue()


def _execute(
    *,
    actor: AnyUser,
    kind: str,
    data: bytes,
    valid_only: bool,
    progress: Progress | None = None,
    on_write: Callable[[], None] | None = None,
) -> ImportResult:
    """Validate every row, then write all (or, with ``valid_only``, the valid ones)."""
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
        result.errors = _check_header(header, columns, required)
    except ImportFileError as exc:
        result.errors = [RowError(0, "file", str(exc))]
    if not result.errors:
        validate = _validate_accounts if kind == ImportKind.ACCOUNTS else _validate_stakeholders
        valid, result.errors = validate(actor, rows, progress)
        if progress is not None:
            progress(len(rows))
        if valid and (valid_only or not result.errors):
            if on_write is not None:
                on_write()
            with transaction.atomic():
                (_write_accounts if kind == ImportKind.ACCOUNTS else _write_stakeholders)(actor, valid, result)
            result.written = True
        if result.errors and rows:
            result.rejected_csv = _rejected_csv(header, rows, result.errors)
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
    """Import a file now (page for small files, API, management command)."""
    result = _execute(actor=actor, kind=kind, data=data, valid_only=valid_only, progress=progress)
    run = ImportRun(
        actor=actor if getattr(actor, "is_authenticated", False) else None,  # type: ignore[misc]
        kind=kind if kind in ImportKind.values else ImportKind.ACCOUNTS,
        filename=filename[:255],
        valid_only=valid_only,
    )
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
    from .tasks import import_run_task

    run = ImportRun.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,  # type: ignore[misc]
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


def accounts_csv(accounts: Iterable[Account]) -> Iterable[str]:
    """Rows of the accounts export (same columns the import reads, plus segment/score)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        value = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return value

    writer.writerow([*ACCOUNT_COLUMNS, "segment", "dossier_score"])
    yield "\ufeff" + flush()  # BOM: Excel opens UTF-8 Chinese text correctly
    for account in accounts:
        writer.writerow(
            [
                account.external_id or "",
                account.name,
                account.industry,
                f"{account.arr:.2f}",
                account.icp_fit,
                account.owner.get_username() if account.owner else "",
                account.go_live_date.isoformat() if account.go_live_date else "",
                account.status,
                account.segment,
                account.dossier_score,
            ]
        )
        yield flush()
