"""Monitoring a deployed screener over time, and the record of past audits."""
