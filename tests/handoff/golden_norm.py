"""Blank out what differs between two runs of the same export (paths, times, file stamps)."""

from __future__ import annotations

import re


def normalise(text: str, root: str) -> str:
    """The text with the temporary root, clock and file identity replaced by placeholders."""
    text = text.replace(root, "<ROOT>")
    text = re.sub(r'"(mtime_ns|size|inode)": \d+', r'"\1": 0', text)
    text = re.sub(r'"created_at": "[^"]*"', '"created_at": "<NOW>"', text)
    text = re.sub(r"(suppression|addresses)-[0-9a-f]{20}\.parquet", r"\1-<HASH>.parquet", text)
    # campaign.json's own size and hash follow from the paths above
    return re.sub(
        r'("name": "campaign.json",\n\s*"rows": null,\n\s*"bytes": )\d+'
        r'(,\n\s*"sha256": )"[0-9a-f]+"',
        r'\g<1>0\g<2>"<SHA>"',
        text,
    )
