"""``field__any_of=[…]``: membership in a long list of values, bound as one parameter.

``field__in=ids`` with a thousand ids renders a thousand placeholders, which psycopg
splits and binds one by one on every query (about 15 ms per query for 1,000 ids: more
than the query itself in the chunked health-score recompute). On PostgreSQL this lookup
renders ``field = ANY(%s)`` with the list as one array parameter; elsewhere it is the
ordinary ``IN (…)``. Registered on every field by ``CoreConfig.ready``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Field, ForeignObject, Lookup


class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self) -> Any:
        values = self.rhs
        if not isinstance(values, Iterable) or isinstance(values, str | bytes):
            raise TypeError("any_of needs a list of values")
        return [self.lhs.output_field.get_prep_value(value) for value in values]

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = [self.lhs.output_field.get_db_prep_value(value, connection, prepared=True) for value in self.rhs]
        if not values:
            return "1 = 0", []
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]


def register() -> None:
    Field.register_lookup(AnyOf)
    ForeignObject.register_lookup(AnyOf)  # relations keep a lookup registry of their own
