"""Certificate-of-origin rules (CCPIT), no I/O and no protos.

- ``states``: every status of the service, and the machine each one moves by;
- ``actors``: who may act (exporters' ADMIN and SIGNER members, CCPIT branch officers, customs, the public);
- ``values``: HS codes, prices and the value contents of a product (decimal arithmetic, RCEP build-down);
- ``origin``: agreements and origin criteria (WO, PE, CTC, RVC): which certificates a product may have;
- ``certificates``: a certificate's fields, its gaps before submission, copy, amend and lost-reissue rules;
- ``words``: goods descriptions with the package quantity in words, as certificates print them;
- ``tariffs``: the FTA tariff query: one side China, rates best first.
"""
