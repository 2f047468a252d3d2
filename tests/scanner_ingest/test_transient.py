"""A transient error of the node or the share (EMFILE, ENFILE, ENOSPC, EIO ...) is "try
again later", never a verdict on the file."""

from __future__ import annotations

import errno
import os
import re
import resource
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from scanner_ingest import reasons
from scanner_ingest.inspection import inspect
from scanner_ingest.pdf_worker import PdfWorker
from tests.scanner_ingest import filegen as gen


@contextmanager
def no_free_file_descriptors() -> Iterator[None]:
    """Every file descriptor of this process in use, as with a leak: ``open`` fails EMFILE."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    held: list[int] = []
    resource.setrlimit(resource.RLIMIT_NOFILE, (len(os.listdir("/proc/self/fd")) + 16, hard))
    try:
        while True:
            try:
                held.append(os.open(os.devnull, os.O_RDONLY))
            except OSError as exc:
                assert exc.errno == errno.EMFILE
                break
        yield
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_too_many_open_files_is_not_a_verdict_on_a_valid_scan(
    tmp_path: Path, pdf_worker: PdfWorker
) -> None:
    scan = gen.write_png(tmp_path / "SCN_0001.png", gen.blank_page(dpi=50))
    pattern = re.compile("X")
    with no_free_file_descriptors(), pytest.raises(OSError) as raised:
        inspect(scan, scan.name, pdf=lambda: pdf_worker, max_bytes=1 << 20, pattern=pattern)
    assert raised.value.errno == errno.EMFILE
    assert reasons.is_transient(raised.value)
    found = inspect(scan, scan.name, pdf=lambda: pdf_worker, max_bytes=1 << 20, pattern=pattern)
    assert found.pages == 1  # the same file, once descriptors are free again


@pytest.mark.parametrize(
    "code", [errno.EMFILE, errno.ENFILE, errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.ESTALE]
)
def test_errors_of_the_node_or_the_share_are_transient(code: int) -> None:
    assert reasons.is_transient(OSError(code, os.strerror(code)))


@pytest.mark.parametrize("code", [errno.EACCES, errno.EISDIR, errno.EINVAL, errno.ELOOP])
def test_errors_about_the_file_are_not(code: int) -> None:
    assert not reasons.is_transient(OSError(code, os.strerror(code)))
