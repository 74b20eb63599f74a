"""The survey send as set-based statements (see ``outreach.bulk``).

``decide`` chooses and writes the recipients of one wave from the candidates' query:

- the candidates are numbered per lower-cased address (``ROW_NUMBER() OVER (PARTITION BY
  …)``, by account then stakeholder), so the same person at two accounts is asked once;
- their preferences are joined in the same statement: unsubscribed, bounced and surveyed
  within ``HOURGLASS_SURVEY_MIN_DAYS`` (across surveys) are left out, and counted by why in
  one aggregate over the same rows;
- the rest are inserted with ``ON CONFLICT DO NOTHING`` (unique per survey, wave and
  stakeholder: a re-run adds no one), and their ``last_surveyed_at`` set by one upsert from
  the rows this statement wrote.

``queue`` puts a batch of claimed recipients in the outbox: the subject is the survey's
in the recipient's language with the account's name put in by the database (one
``REPLACE`` per (survey, language) of the batch), the bodies are rendered by the delivery
worker (``SURVEY_RENDERER``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from accounts.models import Account, Stakeholder

from .bulk import db_time, execute, fetch, outbox_insert_select, subquery, table
from .emails import SURVEY_RENDERER, survey_subject
from .models import ContactPreference, RecipientStatus, Survey, SurveyRecipient

# Stands for the account's name in a subject template; the database puts the name in.
ACCOUNT_MARK = "\u27e6account_name\u27e7"


@dataclass
class DecideResult:
    chosen: int = 0
    unsubscribed: int = 0
    bounced: int = 0
    capped: int = 0


def _candidates_sql(people: QuerySet[Stakeholder]) -> tuple[str, tuple[Any, ...]]:
    """One row per address among ``people``: its first stakeholder and the address's preferences."""
    ids_sql, ids_params = subquery(people.values("pk"))
    address = "LOWER(TRIM(s.email))"
    sql = (
        "SELECT c.sid, c.aid, c.email, p.unsubscribed_at AS unsub, p.bounced_at AS bounced, "  # noqa: S608
        "p.last_surveyed_at AS surveyed, p.language AS lang FROM ("
        f"SELECT s.id AS sid, s.account_id AS aid, {address} AS email, "
        f"ROW_NUMBER() OVER (PARTITION BY {address} ORDER BY s.account_id, s.id) AS n "
        f"FROM {table(Stakeholder)} s WHERE s.id IN ({ids_sql})) c "
        f"LEFT JOIN {table(ContactPreference)} p ON p.email = c.email WHERE c.n = 1"
    )
    return sql, ids_params


def decide(*, survey: Survey, people: QuerySet[Stakeholder], wave: str, now: datetime) -> DecideResult:
    """Write the recipients of ``people`` for ``wave`` (call it in a transaction)."""
    candidates, params = _candidates_sql(people)
    cutoff = db_time(now - timedelta(days=settings.HOURGLASS_SURVEY_MIN_DAYS))
    [(unsubscribed, bounced, capped)] = fetch(
        "SELECT COALESCE(SUM(CASE WHEN x.unsub IS NOT NULL THEN 1 ELSE 0 END), 0), "  # noqa: S608
        "COALESCE(SUM(CASE WHEN x.unsub IS NULL AND x.bounced IS NOT NULL THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN x.unsub IS NULL AND x.bounced IS NULL AND x.surveyed > %s THEN 1 ELSE 0 END), 0) "
        f"FROM ({candidates}) x",
        [cutoff, *params],
    )
    at = db_time(now)
    columns = (
        "survey_id, wave, account_id, stakeholder_id, email, language, touchpoint_id, status, send_after, "
        "claim_token, claimed_at, sent_at, expires_at, email_message_id, answered_at, created_at"
    )
    chosen = execute(
        f"INSERT INTO {table(SurveyRecipient)} ({columns}) "  # noqa: S608 - names and placeholders
        "SELECT %s, %s, x.aid, x.sid, x.email, COALESCE(NULLIF(x.lang, ''), %s), NULL, %s, %s, "
        f"'', NULL, NULL, NULL, NULL, NULL, %s FROM ({candidates}) x "
        "WHERE x.unsub IS NULL AND x.bounced IS NULL AND (x.surveyed IS NULL OR x.surveyed <= %s) "
        "ON CONFLICT DO NOTHING",
        [survey.pk, wave, settings.LANGUAGE_CODE, RecipientStatus.PENDING.value, at, at, *params, cutoff],
    )
    if chosen:
        execute(
            f"INSERT INTO {table(ContactPreference)} (email, unsubscribed_at, bounced_at, bounce_reason, "  # noqa: S608
            "last_surveyed_at, language, time_zone, updated_at) "
            f"SELECT r.email, NULL, NULL, '', %s, '', '', %s FROM {table(SurveyRecipient)} r "
            "WHERE r.survey_id = %s AND r.wave = %s AND r.created_at = %s "
            "ON CONFLICT (email) DO UPDATE SET last_surveyed_at = excluded.last_surveyed_at, "
            "updated_at = excluded.updated_at",
            [at, at, survey.pk, wave, at],
        )
    return DecideResult(chosen=chosen, unsubscribed=int(unsubscribed), bounced=int(bounced), capped=int(capped))


def _subject_case(pairs: list[tuple[int, str]]) -> tuple[str, list[Any]]:
    """A CASE giving each recipient row ``r`` (joined with its account ``a``) its subject."""
    surveys = Survey.objects.in_bulk({survey_id for survey_id, _language in pairs})
    name = "TRIM(a.name)"
    parts: list[str] = []
    params: list[Any] = []
    for survey_id, language in pairs:
        survey = surveys[survey_id]
        template = survey_subject(survey, language=language, account_name=ACCOUNT_MARK)
        blank = survey_subject(survey, language=language, account_name="")
        parts.append(
            f"WHEN r.survey_id = %s AND r.language = %s "
            f"THEN CASE WHEN {name} = '' THEN %s ELSE REPLACE(%s, %s, {name}) END"
        )
        params += [survey_id, language, blank, template, ACCOUNT_MARK]
    return f"CASE {' '.join(parts)} END", params


def queue(*, token: str, now: datetime) -> list[int]:
    """Queue the outbox emails of the recipients claimed with ``token``; the outbox ids
    created. Sets each row's expiry and its outbox message."""
    mine = SurveyRecipient.objects.filter(claim_token=token, status=RecipientStatus.QUEUED)
    for survey_id, days in Survey.objects.filter(pk__in=mine.values("survey_id")).values_list("pk", "expires_days"):
        mine.filter(survey_id=survey_id).update(expires_at=now + timedelta(days=days))
    pairs = sorted(set(mine.values_list("survey_id", "language").distinct()))
    if not pairs:
        return []
    subject, subject_params = _subject_case(pairs)
    recipients = table(SurveyRecipient)
    source = (
        f"SELECT 'survey:' || CAST(r.survey_id AS TEXT) || ':' || CAST(r.id AS TEXT) AS dedupe_key, "  # noqa: S608
        f"r.email AS address, {subject} AS subject, r.id AS recipient_id "
        f"FROM {recipients} r JOIN {table(Account)} a ON a.id = r.account_id "
        "WHERE r.claim_token = %s AND r.status = %s"
    )
    queued = RecipientStatus.QUEUED.value
    created = outbox_insert_select(
        source=source,
        params=[*subject_params, token, queued],
        render_with=SURVEY_RENDERER,
        arg_names=["recipient_id"],
        now=now,
    )
    from core.models import OutboundEmail

    key = f"'survey:' || CAST({recipients}.survey_id AS TEXT) || ':' || CAST({recipients}.id AS TEXT)"
    execute(
        f"UPDATE {recipients} SET email_message_id = (SELECT o.id FROM {table(OutboundEmail)} o "  # noqa: S608
        f"WHERE o.dedupe_key = {key}) "
        "WHERE claim_token = %s AND status = %s",
        [token, queued],
    )
    return created
