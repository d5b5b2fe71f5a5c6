"""Use cases, one module per resource: plain values in, records or small dataclasses out, one unit of work
each (read-only for queries), domain errors raised; none sees a proto."""
