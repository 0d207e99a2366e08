"""Statistics computed from counts (private; the public face is ``adverse_impact.stats``)."""
