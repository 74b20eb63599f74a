"""My day, the home page: see ``page`` (the page), ``triage`` (the ranked rows),
``priority`` (the score) and ``alerts`` (alerts apart from FYIs)."""

from .page import MY_DAY_ROWS, MY_DAY_TASKS, MyDay, TeamMemberWork, my_day, my_day_view, team_work

__all__ = ["MY_DAY_ROWS", "MY_DAY_TASKS", "MyDay", "TeamMemberWork", "my_day", "my_day_view", "team_work"]
