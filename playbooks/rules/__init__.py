"""Rules: a playbook's trigger, conditions and schedule, evaluated set-based; the builder.

``conditions`` validates and compiles conditions, ``evaluate`` selects accounts (sweep,
preview, dry run), ``sweep`` runs the scheduled rules, ``services`` writes playbooks.
"""
