"""Audits: selection rates from counts, the audit result, models, sweeps, funnels."""
