"""Models over a binned table: Bayesian networks, PrivBayes, MST and AIM."""
