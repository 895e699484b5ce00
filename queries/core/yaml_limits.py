"""Limits on segment and campaign YAML, so a hostile or broken file is a located error.

An alias bomb ("billion laughs"), a thousand nested levels or a 40 MB file would otherwise
eat memory, raise RecursionError or run for minutes. The loader in `yamlio` enforces these
while it reads; each breach names the file and line.
"""

from __future__ import annotations

import math
from typing import Any

import yaml

MAX_BYTES = 1_000_000  # a segment or campaign file is a few KB; 1 MB is generous
MAX_DEPTH = 64  # nested mappings/lists in one document
MAX_ALIASES = 100  # `*name` references in one document
MAX_NODES = 100_000  # values in a document once aliases are expanded
MAX_INT = 2**63  # integers are 64-bit on every engine


class YamlLimit(Exception):
    """A limit was exceeded at `line` (1-based; None when it is the whole file)."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message, self.line = message, line


def check_size(size: int) -> None:
    """Refuse a document larger than MAX_BYTES before reading it."""
    if size > MAX_BYTES:
        raise YamlLimit(
            f"the file is {size:,} bytes; segment and campaign files are limited to "
            f"{MAX_BYTES / 1e6:g} MB ({MAX_BYTES:,} bytes)"
        )


class LimitedComposer(yaml.parser.Parser, yaml.composer.Composer):
    """A Composer mixin counting depth, aliases and the expanded size as nodes are built.

    Sizes are summed per node (an alias counts the whole node it names), so a "billion
    laughs" is refused at the line of the first collection too big, without expanding it."""

    kz_depth = 0
    kz_aliases = 0
    kz_sizes: dict[int, int]

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            self.kz_aliases += 1
            if self.kz_aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise YamlLimit(
                    f"more than {MAX_ALIASES} aliases (`*name`) in one file", mark.line + 1
                )
            return super().compose_node(parent, index)
        self.kz_depth += 1
        try:
            if self.kz_depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise YamlLimit(f"nested more than {MAX_DEPTH} levels deep", mark.line + 1)
            node = super().compose_node(parent, index)
        finally:
            self.kz_depth -= 1
        if node is not None:  # (PyYAML's stubs allow None; a composed node is never None)
            self._size(node)
        return node

    def _size(self, node: yaml.Node) -> None:
        """Record the node's size once its aliases are expanded; refuse it beyond MAX_NODES."""
        if not hasattr(self, "kz_sizes"):
            self.kz_sizes = {}
        size = 1
        if isinstance(node, yaml.SequenceNode):
            size += sum(self.kz_sizes.get(id(c), 1) for c in node.value)
        elif isinstance(node, yaml.MappingNode):
            size += sum(
                self.kz_sizes.get(id(k), 1) + self.kz_sizes.get(id(v), 1) for k, v in node.value
            )
        self.kz_sizes[id(node)] = size
        if size > MAX_NODES:
            raise YamlLimit(
                f"more than {MAX_NODES:,} values once aliases are expanded (an alias bomb?)",
                node.start_mark.line + 1,
            )


def check_number(value: Any, node: yaml.Node) -> Any:
    """Refuse .inf, .nan and integers beyond 64 bits, which no engine compares sensibly."""
    if isinstance(value, float) and not math.isfinite(value):
        raise YamlLimit(f"`{node.value}` is not a finite number", node.start_mark.line + 1)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= MAX_INT:
        raise YamlLimit(
            f"`{node.value}` is too large (numbers are 64-bit)", node.start_mark.line + 1
        )
    return value
