"""carbonpeak.lake."""
