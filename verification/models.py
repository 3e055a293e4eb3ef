"""Internal verification, standardisation and Standards Verification outcomes (to come)."""
