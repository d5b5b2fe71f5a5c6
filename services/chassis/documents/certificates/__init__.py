"""Certificate PDFs: the CCC exemption certificate and the certificates of origin, unsigned; see ``signing``."""
