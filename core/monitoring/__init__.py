"""Operations monitoring: Prometheus metrics, beat job runs, the status page's reads,
incidents and data retention of core's own tables. Imports no app (core's rule)."""
