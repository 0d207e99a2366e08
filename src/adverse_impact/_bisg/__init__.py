"""Race estimates when race is not recorded: BISG, and audits from probabilities.

Private subpackage; the public names are re-exported by ``adverse_impact``.
"""

from adverse_impact._bisg._impute import RaceEstimates, impute_race
from adverse_impact._bisg._weighted import ImputedAudit, audit_imputed

__all__ = ["ImputedAudit", "RaceEstimates", "audit_imputed", "impute_race"]
