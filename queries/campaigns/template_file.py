"""Read a template file safely: a regular file under a size limit, opened without blocking."""

from __future__ import annotations

import os
import stat
from pathlib import Path

TEMPLATE_MAX_BYTES = 500_000  # a template may not be longer than the message it can produce


class TemplateFileRefused(Exception):
    """The path is not a regular file, or is too large to be a message template."""


def read_template_file(path: Path, limit: int = TEMPLATE_MAX_BYTES) -> bytes:
    """The file's bytes; refuses FIFOs, devices and files over `limit` before reading them."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not hang
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(str(path))
        if not stat.S_ISREG(st.st_mode):
            raise TemplateFileRefused("is not a regular file (a pipe or device); use a text file")
        if st.st_size > limit:
            raise TemplateFileRefused(
                f"is {st.st_size:,} bytes, over the {limit:,}-byte limit for a template"
            )
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read(limit + 1)
        if len(data) > limit:  # (grew while we looked)
            raise TemplateFileRefused(f"is over the {limit:,}-byte limit for a template")
        return data
    finally:
        os.close(fd)
