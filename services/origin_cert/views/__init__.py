"""Results -> protos, one module per resource, and the few requests -> plain values the servicers need.

Decimals go out as strings (``"52.50"``), dates as ``yyyy-mm-dd``, timestamps and pages through the chassis
wire conversions.
"""
