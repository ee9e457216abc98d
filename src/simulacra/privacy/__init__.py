"""Differential privacy: budgets, zCDP accounting and the mechanisms DP models use."""

from simulacra.privacy.accounting import cdp_delta, cdp_epsilon, cdp_rho
from simulacra.privacy.budget import PrivacyBudget, PrivacyLedger

__all__ = ["PrivacyBudget", "PrivacyLedger", "cdp_delta", "cdp_epsilon", "cdp_rho"]
