"""The outreach app's settings (surveys to customers), from the environment.

``config/settings.py`` imports these; docs/outreach.md explains each one.
"""

from __future__ import annotations

import environ

env = environ.Env()

# A contact is surveyed at most once in this many days, across all surveys.
HOURGLASS_SURVEY_MIN_DAYS = env.int("HOURGLASS_SURVEY_MIN_DAYS", default=90)
# Quiet hours in the contact's local time (their time zone, else TIME_ZONE): a survey due
# from START:00 to END:00 waits until END:00 (deferred, not dropped). Equal hours: none.
HOURGLASS_SURVEY_QUIET_START = env.int("HOURGLASS_SURVEY_QUIET_START", default=21)
HOURGLASS_SURVEY_QUIET_END = env.int("HOURGLASS_SURVEY_QUIET_END", default=8)
# Recipients decided, claimed and queued per transaction.
HOURGLASS_SURVEY_BATCH_SIZE = env.int("HOURGLASS_SURVEY_BATCH_SIZE", default=1000)
# Requests per minute one IP address may make to the public response pages (429 beyond).
HOURGLASS_SURVEY_RATE_PER_MINUTE = env.int("HOURGLASS_SURVEY_RATE_PER_MINUTE", default=60)
# A recipient may change an answer for this many hours after giving it.
HOURGLASS_SURVEY_EDIT_HOURS = env.int("HOURGLASS_SURVEY_EDIT_HOURS", default=24)
# Tech-touch programs: record link clicks through Hourglass's own signed redirect
# (/outreach/c/<token>/); off: program emails link to their targets directly.
HOURGLASS_PROGRAM_CLICK_TRACKING = env.bool("HOURGLASS_PROGRAM_CLICK_TRACKING", default=True)
