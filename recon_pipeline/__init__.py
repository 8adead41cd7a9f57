"""recon_pipeline: receivables reconciliation for Japanese e-commerce on Dagster and DuckDB."""

__version__ = "0.1.0"
