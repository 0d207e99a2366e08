"""BISG race estimates and probability-weighted audits (private; public names in adverse_impact)."""
