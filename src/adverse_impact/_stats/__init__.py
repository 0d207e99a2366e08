"""Statistics on counts: tests, power, multiplicity, significance columns."""
