"""Differential privacy: budgets, zCDP accounting and the mechanisms DP models use."""

from simulacra.privacy.accounting import cdp_delta, cdp_epsilon, cdp_rho
from simulacra.privacy.budget import (
    Mechanism,
    PrivacyBudget,
    PrivacyLedger,
    PrivacyReport,
    StageSpend,
    dump_report,
    load_report,
)

__all__ = ["Mechanism", "PrivacyBudget", "PrivacyLedger", "PrivacyReport", "StageSpend",
           "cdp_delta", "cdp_epsilon", "cdp_rho", "dump_report", "load_report"]
