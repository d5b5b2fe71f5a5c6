"""Use cases: each one unit of work, raising domain errors."""
