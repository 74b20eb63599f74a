"""The KPI page's precomputed facts per account and quarter and their sums (cells).

``models``: the tables; ``build``: the facts from their inputs; ``services``: the
nightly rebuild, the incremental refresh, marking accounts; ``read``: a request's
read of the cells; ``receivers``: what marks an account. docs/renewals.md says how.
"""
