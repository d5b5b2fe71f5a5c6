"""Use cases, one module per resource: plain values in, results out, one unit of work each."""
