"""Signals ``health`` publishes; other apps (playbooks) subscribe to them.

Both are sent after the transaction that created the row commits, once per row.

``activity_drop_detected``: a new activity-drop alert was raised.
  kwargs: ``alert`` (ActivityAlert), ``account``.
``nps_detractor_received``: a new NPS response scored 0-6.
  kwargs: ``response`` (NpsResponse), ``account``.
"""

from __future__ import annotations

from django.dispatch import Signal

activity_drop_detected = Signal()
nps_detractor_received = Signal()
