"""carbonpeak.pipelines."""
