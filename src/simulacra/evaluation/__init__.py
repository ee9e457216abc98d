"""Evaluation: fidelity, utility and privacy of synthetic data, and the HTML report."""
