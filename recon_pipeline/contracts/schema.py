"""A contract as a pandera schema of its loaded rows, validated in DuckDB (``pandera.ibis``
over ibis' DuckDB backend): the types, required columns, value sets, patterns, lengths and
bounds that every row of ``raw.<family>`` holds by the contract.

Row-level validation does not run through it: ``pandera.ibis`` runs one query per check and
hands back failing values without the row they came from (a 2M-row table with 400k failing
values took 103 s, most of it formatting them in pandas), while quarantine needs each
row's line and every reason. That is ``recon_pipeline.contracts.sql``: the same rules as one
statement with the line number kept. This schema states what the loaded rows satisfy, and
``tests/contracts/test_schema.py`` holds the raw tables of a run to it.
"""

from __future__ import annotations

from functools import cache

import ibis
import pandera.ibis as pa

from recon_pipeline.contracts.model import Contract

IBIS_TYPES = {
    "id": "string",
    "text": "string",
    "integer": "int64",
    "date": "date",
    "timestamp": "timestamp(6)",
}


@cache
def raw_schema(contract: Contract) -> pa.DataFrameSchema:
    """The pandera (ibis) schema of a contract's rows in ``raw.<family>``."""
    columns = {}
    for column in contract.columns:
        checks = []
        if column.values:
            checks.append(pa.Check.isin(sorted(set(column.values.values()))))
        elif column.allowed:
            checks.append(pa.Check.isin(list(column.allowed)))
        if column.is_text and column.pattern:
            checks.append(pa.Check.str_matches(column.pattern))
        if column.is_text and column.length_limit and not column.values:
            checks.append(pa.Check.str_length(max_value=column.length_limit))
        if column.min is not None:
            checks.append(pa.Check.ge(column.min))
        if column.max is not None:
            checks.append(pa.Check.le(column.max))
        columns[column.canonical] = pa.Column(
            ibis.dtype(IBIS_TYPES[column.type]),
            checks=checks,
            nullable=not column.required,
            required=True,
        )
    return pa.DataFrameSchema(columns, strict=False, name=contract.layout)
