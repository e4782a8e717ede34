"""carbonpeak.ingest."""
