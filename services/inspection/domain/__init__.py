"""Pre-shipment inspection domain rules, no I/O and no protos.

- ``states``: every status of the service, and the machine each one moves by;
- ``actors``: the service's entry in the registry: its system name, scope and the customs agency;
- ``fields``: how a free-text, phone, e-mail, ID, date or decimal field is checked, and what it is called;
- ``reference``: the reference lists behind the dropdowns, and the public records customs maintains;
- ``filings``: an institution's filing, its four sub-tables and what a change may touch;
- ``commissions``: a commission, its goods lines and their totals;
- ``oversight``: quality issues, supervision checks, disposals and annual reports.
"""
