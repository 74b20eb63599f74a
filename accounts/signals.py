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
risk_flag_raised = Signal()

# Sent after commit when a manager reviews a dossier; kwargs: ``review``, ``account``,
# ``verdict`` ("approved" / "needs_work" — playbooks act on the latter).
dossier_reviewed = Signal()
