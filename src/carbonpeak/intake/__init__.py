"""carbonpeak.intake."""
