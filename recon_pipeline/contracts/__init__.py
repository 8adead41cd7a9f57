"""Inbound layouts as data: load the contracts in ``data_contracts/`` and validate files."""

from recon_pipeline.contracts.model import (
    Column,
    Contract,
    ContractSet,
    RowCheck,
    load_contracts,
)

__all__ = ["Column", "Contract", "ContractSet", "RowCheck", "load_contracts"]
