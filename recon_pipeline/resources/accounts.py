"""The journal's accounts as a resource, so a run can point at another mapping file."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from recon_pipeline.accounts import Accounts, load_accounts
from recon_pipeline.contracts import load_contracts
from recon_pipeline.policy import settlement_sources


class AccountsResource(dg.ConfigurableResource):
    """``RECON_ACCOUNTS``; empty means the packaged ``policies/accounts.yaml``. A settlement
    source of the contracts in force (``contracts_dir`` as ``RECON_CONTRACTS_DIR``) may have
    accounts of its own."""

    path: str = ""
    contracts_dir: str = ""

    def load(self) -> Accounts:
        sources = settlement_sources(load_contracts(self.contracts_dir))
        return load_accounts(Path(self.path) if self.path else None, sources)
