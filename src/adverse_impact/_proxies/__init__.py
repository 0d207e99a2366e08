"""What stands in for a protected attribute, and whether a model uses it."""
