"""Documents, written once for every service: attachments in, signed certificates out, and a check anyone can run.

- :mod:`.content`: what an upload is, judged by its bytes (PDF, JPEG, PNG, .xlsx, .docx), its size limit per kind;
- :mod:`.tables` and :mod:`.migrations`: the attachment tables a service adds to its own schema in one line;
- :mod:`.store`: where the bytes live (the service's database, or an S3-compatible bucket) and the rows about them;
- :mod:`.attachments`: upload, list, download and delete as use cases, visibility decided by the owning service;
- :mod:`.certificates`: certificate PDFs (CCC exemption; RCEP, Form E and general certificates of origin)
  with an embedded CJK font, the certificate number, a check code and a QR code to the public check;
- :mod:`.signing`: PAdES signatures by the issuing system's signer (a dev CA under ``var/``, files in production);
- :mod:`.verification`: is an uploaded PDF intact, who signed it and when, which record, and its status now;
- :mod:`.wire`: the protos these travel in, for servicers.
"""
