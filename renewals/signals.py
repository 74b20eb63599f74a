"""Signals other apps subscribe to (playbooks: a renewal at risk opens a task).

Sent after the transaction commits, so a receiver never sees a state that was rolled back.
"""

from __future__ import annotations

from django.dispatch import Signal

# kwargs: renewal (RenewalOpportunity), reason (str), actor (User or None)
renewal_marked_at_risk = Signal()

# kwargs: renewal (RenewalOpportunity, closed), outcome (renewed/downgraded/churned), actor
renewal_closed = Signal()

# kwargs: renewals (list of (renewal id, account id) pairs, each lapsed once), day (date)
renewals_lapsed = Signal()
