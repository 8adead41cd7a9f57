"""Where files come from (``source``), where tables go (``warehouse``), where exports go."""

from recon_pipeline.resources.sources import InboundSource, LocalSource, RemoteFile
from recon_pipeline.resources.warehouse import WarehouseResource

__all__ = ["InboundSource", "LocalSource", "RemoteFile", "WarehouseResource"]
