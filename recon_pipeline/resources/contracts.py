"""The data contracts in force, as a resource: packaged ones plus ``RECON_CONTRACTS_DIR``."""

from __future__ import annotations

import dagster as dg
import duckdb

from recon_pipeline.contracts import ContractSet, load_contracts
from recon_pipeline.resources.warehouse import raw_table_ddl


class ContractsResource(dg.ConfigurableResource):
    """A shop adds a provider's layout by dropping a contract file into ``extra_dir``."""

    extra_dir: str = ""

    def load(self) -> ContractSet:
        return load_contracts(self.extra_dir)

    def ensure_raw_tables(self, con: duckdb.DuckDBPyConnection) -> None:
        for contract in self.load():
            con.execute(raw_table_ddl(contract))
