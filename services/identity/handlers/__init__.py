"""Identity's use cases: one unit of work each; they raise domain errors."""
