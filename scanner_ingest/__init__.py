"""Scanner drop folders: finished scans become dossier documents, exactly once."""
