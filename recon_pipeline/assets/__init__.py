"""Assets by stage, in data-flow order: ingest → staging → reconcile → marts → exports."""
