"""YAML in and out: values plus the line each key came from, and a tidy, order-keeping dump."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from queries.core.errors import Location, SegmentError
from queries.core.i18n import _
from queries.core.private_fs import write_private
from queries.core.yaml_limits import LimitedComposer, YamlLimit, check_number, check_size

Path_ = tuple[Any, ...]


class Lines:
    """Maps a path inside a loaded document (keys and list indexes) to its 1-based line."""

    def __init__(self, file: str | None):
        self.file = file
        self.by_path: dict[Path_, int] = {}

    def line(self, path: Path_) -> int | None:
        """The line of `path`, or of its nearest recorded ancestor."""
        p = tuple(path)
        while p:
            if p in self.by_path:
                return self.by_path[p]
            p = p[:-1]
        return self.by_path.get((), None)

    def loc(self, path: Path_, field: str | None = None) -> Location:
        dotted = field or ".".join(str(x) if not isinstance(x, int) else f"[{x}]" for x in path)
        return Location(self.file, self.line(path), dotted.replace(".[", "["))


class _Loader(LimitedComposer, yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans only (`on`, `yes`, `no` stay text: `op: on`), dates
    kept as text (validated where a date is expected, with file and line) and the limits of
    `yaml_limits` (depth, aliases)."""


_BOOL, _TIMESTAMP = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp"
_Loader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL, _TIMESTAMP)]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _timestamp_as_text(loader: _Loader, node: yaml.ScalarNode) -> str:
    """`!!timestamp x` stays text too, like an untagged date."""
    return loader.construct_scalar(node)


_Loader.add_constructor(_TIMESTAMP, _timestamp_as_text)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _scalar(node: yaml.Node, loader: yaml.SafeLoader) -> Any:
    """One scalar's value; a value its tag cannot hold (`!!int x`, 5000 digits) is located."""
    try:
        value = loader.construct_object(node, deep=True)
    except (ValueError, TypeError, OverflowError) as exc:
        raise YamlLimit(
            f"`{node.value}` is not a valid value ({exc})", node.start_mark.line + 1
        ) from None
    return check_number(value, node)


def _convert(node: yaml.Node, path: Path_, lines: Lines, loader: yaml.SafeLoader) -> Any:
    lines.by_path.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise SegmentError(_("a key must be a plain name"), lines.loc(path), None)
            key = _scalar(key_node, loader)
            if key in out:
                raise SegmentError(
                    _("`{key}` appears twice").format(key=key),
                    Location(lines.file, key_node.start_mark.line + 1, str(key)),
                )
            at = (*path, key)
            lines.by_path[at] = key_node.start_mark.line + 1
            out[key] = _convert(value_node, at, lines, loader)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(child, (*path, i), lines, loader) for i, child in enumerate(node.value)]
    return _scalar(node, loader)


def load_yaml(text: str, file: str | None = None) -> tuple[Any, Lines]:
    """Parse YAML text into plain values and a Lines index; syntax errors name the line."""
    lines = Lines(file)
    try:
        check_size(len(text.encode("utf-8", "surrogatepass")))
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None, lines
            return _convert(node, (), lines, loader), lines
        finally:
            loader.dispose()
    except YamlLimit as exc:
        raise SegmentError(exc.message, Location(file, exc.line)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise SegmentError(
            _("YAML syntax error: {problem}").format(problem=problem), Location(file, line)
        ) from None
    except yaml.YAMLError as exc:
        raise SegmentError(_("YAML error: {exc}").format(exc=exc), Location(file)) from None


def load_yaml_file(path: Path) -> tuple[Any, Lines]:
    """Read and parse a YAML file, reporting unreadable, oversized or non-UTF-8 files clearly."""
    try:
        check_size(path.stat().st_size)
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SegmentError(_("file not found"), Location(str(path))) from None
    except YamlLimit as exc:
        raise SegmentError(exc.message, Location(str(path))) from None
    except UnicodeDecodeError as exc:
        raise SegmentError(
            _("not UTF-8 text ({reason})").format(reason=exc.reason), Location(str(path))
        ) from None
    return load_yaml(text, str(path))


class Flow(dict):
    """A mapping dumped on one line: `{field: x, op: in, value: [a, b]}`."""


class _Dumper(yaml.SafeDumper):
    pass


def _flow_dict(dumper: yaml.SafeDumper, data: Flow) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=True)


def _plain_dict(dumper: yaml.SafeDumper, data: dict) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=False)


def _list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    flow = all(not isinstance(x, (dict, list)) for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _datetime(dumper: yaml.SafeDumper, data: datetime) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:timestamp", data.isoformat())


_Dumper.add_representer(Flow, _flow_dict)
_Dumper.add_representer(dict, _plain_dict)
_Dumper.add_representer(list, _list)
_Dumper.add_representer(datetime, _datetime)
_Dumper.add_representer(date, yaml.SafeDumper.represent_date)


def dump_yaml(data: Any) -> str:
    """Dump plain values as YAML, keeping key order and Japanese text readable."""
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


def write_atomic(target: Path, text: str, private: bool = False) -> Path:
    """Write a text file through a `.partial` sibling and a rename, so it is never half-written.

    `private` (Kizuna's own state, e.g. kept versions): 0600 in 0700 folders whatever the
    umask; otherwise (segments, campaigns: shared definitions) the umask decides."""
    if private:
        return write_private(target, text)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".partial")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    return target
