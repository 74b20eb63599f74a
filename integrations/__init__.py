"""Integrations: what connects Hourglass to a team's other tools (docs/integrations.md).

A package of four Django apps, each with its own models and migrations:

- ``integrations.webhooks``: outbound webhooks and chat notifications (Feishu/Lark,
  DingTalk, WeCom, Slack), one signed, retried, logged delivery pipeline;
- ``integrations.inbox``: the inbound SMTP listener that turns BCC'd email into
  timeline touchpoints (``manage.py runinbox``);
- ``integrations.crm``: bulk upsert sync of accounts, stakeholders and contracts by
  external id, with Salesforce and HubSpot column mappings;
- ``integrations.digests``: notification preferences, daily/weekly digests and
  per-user calendar (ICS) feeds.

It sits at the top beside ``workspace``: it may import every app's selectors and
services and receives their signals; nothing imports it but ``workspace`` and ``config``.
"""
