"""The collections policy as a resource, so a run can point at another YAML."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
from pydantic import Field

from recon_pipeline.contracts import load_contracts
from recon_pipeline.policy import Policy, load_policy, settlement_sources


class PolicyResource(dg.ConfigurableResource):
    """``RECON_DUNNING_POLICY``; empty means the packaged default policy. The freshness gate
    judges every settlement source of the contracts in force (``contracts_dir`` as
    ``RECON_CONTRACTS_DIR``), so a shop's added gateway can be named under ``deliveries``."""

    path: str = ""
    contracts_dir: str = ""
    bank_accounts: list[str] = Field(default_factory=list)
    """The shop's own bank accounts (``bank-branch-account``, its shop file's
    ``bank_accounts``); empty: bank statements are not judged by account."""

    def load(self) -> Policy:
        sources = settlement_sources(load_contracts(self.contracts_dir))
        return load_policy(Path(self.path) if self.path else None, sources)

    def write_tables(self, con: duckdb.DuckDBPyConnection) -> None:
        """Put the policy into ``config.*`` so the SQL reads it like any table."""
        policy = self.load()
        stages = policy.stages_frame()  # noqa: F841 - read by DuckDB's replacement scan
        collections = policy.collections_frame()  # noqa: F841
        deliveries = policy.deliveries_frame()  # noqa: F841
        fees = policy.transfer_fees_frame()  # noqa: F841
        con.execute("DELETE FROM config.dunning_stages")
        con.execute("INSERT INTO config.dunning_stages BY NAME SELECT * FROM stages")
        con.execute("DELETE FROM config.collections")
        con.execute("INSERT INTO config.collections BY NAME SELECT * FROM collections")
        con.execute("DELETE FROM config.deliveries")
        con.execute("INSERT INTO config.deliveries BY NAME SELECT * FROM deliveries")
        con.execute("DELETE FROM config.transfer_fees")
        con.execute("INSERT INTO config.transfer_fees BY NAME SELECT * FROM fees")
