"""The contracts as pandera schemas (``pandera.ibis``) of their loaded rows: every raw table
of a run holds to its contract's schema, validated inside DuckDB, and a row that breaks a
rule is caught there."""

from __future__ import annotations

import shutil

import ibis
import pandera.ibis as pa
import pytest
from pandera.errors import SchemaErrors

from recon_pipeline.contracts import load_contracts
from recon_pipeline.contracts.schema import raw_schema
from tests.conftest import SAMPLES, run_range


def test_every_raw_table_of_a_run_holds_to_its_contracts_schema(settings, instance, tmp_path):
    shutil.copytree(SAMPLES, settings.landing_dir)
    # the samples carry no payer aliases file (an operator's, not a provider's): one of two rows
    aliases = settings.landing_dir / "payer_aliases" / "2026-10-02"
    aliases.mkdir(parents=True)
    (aliases / "aliases.csv").write_text(
        "alias_row_id,action,payer_name,customer_number,note,decided_by,decided_at\n"
        "PA-1,ADD,ｷﾀｶﾞﾜ ｼｽﾞｴ,0000901,家族名義,keiri02,2026-10-02\n"
        "PA-2,REMOVE,ｷﾀｶﾞﾜ ｼｽﾞｴ,0000901,,keiri03,2026-10-02\n",
        encoding="utf-8",
    )
    run_range(settings, instance, "2026-10-01", "2026-10-07")
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(settings.warehouse, copy)
    con = ibis.duckdb.connect(str(copy))
    checked = 0
    for contract in load_contracts():
        rows = con.table(contract.family, database="raw").filter(ibis._.layout == contract.layout)
        assert rows.count().execute() > 0, contract.layout
        assert isinstance(raw_schema(contract).validate(rows), ibis.Table)
        checked += 1
    assert checked == len(load_contracts().contracts)
    # a loaded row that breaks the card contract: a currency it does not know, a fee below 0
    con.raw_sql("UPDATE raw.card SET currency = 'usd', fee = -1 WHERE line_no = 2")
    card = next(c for c in load_contracts() if c.layout == "card")
    with pytest.raises(SchemaErrors) as caught:
        raw_schema(card).validate(con.table("card", database="raw"), lazy=True)
    failed = {(e.schema.name, e.check.name) for e in caught.value.schema_errors}
    assert failed == {("currency", "isin"), ("fee", "greater_than_or_equal_to")}
    assert isinstance(raw_schema(card), pa.DataFrameSchema)
