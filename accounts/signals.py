"""Signals ``accounts`` publishes; other apps (playbooks) subscribe to them.

``stakeholder_left``: sent after commit when a stakeholder is marked as having left.
  kwargs: ``stakeholder``, ``account``, ``is_key`` (level-1 decision maker or S tier),
  ``actor``.
``risk_flag_raised``: sent after commit when a new risk flag is raised.
  kwargs: ``flag``, ``account``.
"""

from __future__ import annotations

from django.dispatch import Signal

stakeholder_left = Signal()
# ``stakeholder_left_undone``: sent after commit when "mark as left" is taken back
# (``accounts.stakeholders.stakeholder_undo_left``); kwargs ``stakeholder``, ``account``,
# ``actor``. The tasks the departure created are not touched (docs/accounts.md).
stakeholder_left_undone = Signal()
# Sent inside the erasure's transaction once the contact's rows hold no personal data:
# an index of their text (search) drops what it still keeps.
stakeholder_erased = Signal()
risk_flag_raised = Signal()

# Sent after commit when a manager reviews a dossier; kwargs: ``review``, ``account``,
# ``verdict`` ("approved" / "needs_work" — playbooks act on the latter).
dossier_reviewed = Signal()

# Personal-data export and erasure (accounts.privacy, docs/privacy.md). Unlike the
# signals above these are sent synchronously, inside the caller's transaction: the
# erasure is one transaction across every app, and the export is one answer.
# ``stakeholder_personal_data``: kwargs ``stakeholder``, ``terms`` (every name, email and
#   phone the contact was stored with); a receiver returns ``{section: JSON-able rows}``.
# ``stakeholder_erasing``: kwargs ``stakeholder``, ``pattern`` (a compiled regex of
#   ``terms``, or None), ``replacement``, ``emails``, ``actor``; a receiver redacts its
#   app's rows and returns ``{what: rows changed}`` for the erasure record.
stakeholder_personal_data = Signal()
stakeholder_erasing = Signal()

# ``person_accounts_released``: sent inside the deactivation's transaction
# (``accounts.departures``) once a deactivated person's accounts are unassigned.
#   kwargs: ``person``, ``accounts`` (the list released, never empty), ``actor``.
person_accounts_released = Signal()

# Sent after commit by ``accounts.services`` (webhooks): ``account_created`` (kwargs
# ``account``, ``actor``) and ``account_updated`` (kwargs ``account``, ``fields`` changed,
# ``previous_owner_id``, ``actor``). Batch writes send ``accounts_bulk_written`` instead.
account_created = Signal()
account_updated = Signal()

# ``accounts_bulk_written``: sent after commit by ``AccountBatch.save`` (the CSV import,
# the CRM sync), once per batch instead of the two signals above. kwargs: ``created``
# (the new accounts, with their ids), ``updated`` (``(account, names of the changed
# fields)`` pairs), ``owner_changes`` (``(account, previous owner's id)`` pairs, also
# among ``updated``), ``actor``. Receivers must not query per account.
accounts_bulk_written = Signal()

# Saved segments (``accounts.saved_segments``): sent after commit when accounts enter or
# leave a segment's members (a refresh of its filter, a hand-picked add or removal, the
# segment deleted). kwargs: ``segment_id``, ``account_ids`` (a list, never empty). For
# playbooks' "entered segment" trigger and outreach audiences; receivers must not query
# per account.
segment_entered = Signal()
segment_left = Signal()
