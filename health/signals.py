"""Signals ``health`` publishes; other apps (playbooks) subscribe to them.

All are sent after the transaction that created the row commits, once per row.

``activity_drop_detected``: a new activity-drop alert was raised.
  kwargs: ``alert`` (ActivityAlert), ``account``.
``activity_drops_detected``: the same, once per scan for all the alerts it raised
  (subscribe to this one to queue work in bulk). kwargs: ``alerts`` (ActivityAlerts,
  each with its ``account`` loaded).
``nps_detractor_received``: a new NPS response scored 0-6.
  kwargs: ``response`` (NpsResponse), ``account``.
"""

from __future__ import annotations

from django.dispatch import Signal

activity_drop_detected = Signal()
activity_drops_detected = Signal()
nps_detractor_received = Signal()

# Sent after commit once per scoring batch whose colours changed (webhooks).
#   kwargs: ``changes`` ([(account_id, previous colour, colour, score)]), ``day``.
health_colours_changed = Signal()

# Sent after commit (webhooks): ``nps_response_received`` for every new NPS response
#   (kwargs ``response``, ``account``); ``activity_drop_resolved`` when an alert is resolved
#   (kwargs ``alert``, ``account``).
nps_response_received = Signal()
activity_drop_resolved = Signal()

# Sent after commit by ``services.rollups_recompute`` (renewals' KPI facts refresh those
#   accounts); kwargs: ``account_ids`` (sorted list of the accounts whose rollups it wrote).
rollups_written = Signal()
