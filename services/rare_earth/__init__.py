"""MIIT rare-earth product traceability."""
