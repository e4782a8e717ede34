"""carbonpeak.storage.lake."""
