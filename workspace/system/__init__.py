"""Operations: /metrics, the admins' system status page, incident notifications and
data retention — the parts that read several apps (core's parts: ``core.monitoring``)."""
