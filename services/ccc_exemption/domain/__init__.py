"""The CCC-exemption domain: reference data, rules and status machines. No I/O, no protos."""
