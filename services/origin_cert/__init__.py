"""CCPIT certificates of origin."""
