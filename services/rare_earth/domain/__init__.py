"""Rare-earth domain rules, no I/O and no protos.

- ``states``: every status of the service, and the machine each one moves by;
- ``agencies``: the service's entry in the registry: its system name, scope and staff agencies;
- ``enterprises``: enterprise types, registration and profile fields, affiliation relations;
- ``quota``: plan kinds and the figures of plans, allocations and confirmations;
- ``ledgers``: ledger kinds, template columns and the rules every uploaded row meets;
- ``windows``: when a month's ledgers are reported;
- ``cases``: supervision case kinds, holders and transfers.
"""
