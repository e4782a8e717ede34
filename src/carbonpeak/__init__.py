"""carbonpeak."""
