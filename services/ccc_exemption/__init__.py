"""CNCA CCC-exemption e-approval."""
