"""The scanner ingest fixtures (a drop folder, a node configured with it, the PDF worker), for
the tests of the scans pages' refusals."""

from tests.scanner_ingest.conftest import make_node, pdf_worker, share

__all__ = ["make_node", "pdf_worker", "share"]
