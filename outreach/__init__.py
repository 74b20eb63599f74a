"""Reaching the customer: NPS and CSAT surveys sent and answered, tech-touch email programs."""
