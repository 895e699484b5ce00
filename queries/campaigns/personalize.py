"""Liquid templates for messages: a locked-down environment, clear errors, fallback tracking."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from liquid import Environment, StrictUndefined
from liquid.ast import Node
from liquid.builtin.expressions.filtered import Filter
from liquid.builtin.expressions.loop import LoopExpression
from liquid.builtin.expressions.primitive import RangeLiteral
from liquid.context import RenderContext
from liquid.exceptions import LiquidError, LiquidSyntaxError, UndefinedError
from liquid.stream import TokenStream
from liquid.tag import Tag
from liquid.template import BoundTemplate

from queries.campaigns.fallbacks import FIRED
from queries.core.errors import Location, SegmentError, suggest
from queries.core.i18n import _

CAMPAIGN_FIELDS = ("coupon", "variant", "send_date", "campaign_name")
_HTML = re.compile(r"<(?:[a-zA-Z][a-zA-Z0-9]*\b[^>]*|/[a-zA-Z][a-zA-Z0-9]*\s*)>")
_OUTPUT = re.compile(r"\{\{.*?\}\}", re.S)


class TemplateError(SegmentError):
    """A template does not parse, names an unknown variable, or uses a forbidden construct."""

    def __init__(
        self,
        message: str,
        loc: Location,
        hint: str | None = None,
        template_line: int | None = None,
        column: int | None = None,
    ):
        self.template_line, self.column = template_line, column
        super().__init__(message, loc, hint)


class _Forbidden(Tag):
    """`include` and `render` would read other files; templates are self-contained."""

    block = False

    def parse(self, stream: TokenStream) -> Node:
        raise LiquidSyntaxError(
            _(
                "`{name}` is not allowed: a message template cannot load other "
                "templates (paste the shared text in, or use a variable)"
            ).format(name=self.name),
            token=stream.current,
        )


class _NoInclude(_Forbidden):
    name = "include"


class _NoRender(_Forbidden):
    name = "render"


class MessageEnvironment(Environment):
    """python-liquid with strict undefined, resource limits and no file loader."""

    loop_iteration_limit = 10_000
    output_stream_limit = 500_000
    context_depth_limit = 20
    local_namespace_limit = 200_000

    def __init__(self, autoescape: bool = False):
        super().__init__(undefined=StrictUndefined, autoescape=autoescape, strict_filters=True)
        self.add_tag(_NoInclude)
        self.add_tag(_NoRender)


PLAIN_ENV = MessageEnvironment(autoescape=False)
HTML_ENV = MessageEnvironment(autoescape=True)


class _TrackedDefault(Filter):
    """The `default` filter, recording each time its fallback is used."""

    __slots__ = ()

    def evaluate(self, left: object, context: RenderContext) -> object:
        out = super().evaluate(left, context)
        if out is not left:
            fired = FIRED.get()
            if fired is not None:
                fired.append(self.token.start_index)
        return out


class _LimitedRange(RangeLiteral):
    """A range no longer than the loop limit: `(1..10000000) | join` would take many seconds."""

    __slots__ = ()

    def _make_range(self, start: Any, stop: Any) -> range:
        out = super()._make_range(start, stop)
        limit = MessageEnvironment.loop_iteration_limit
        if limit and len(out) > limit:
            raise LiquidError(
                _("range {range} has {n} items, over the limit of {limit}").format(
                    range=self, n=format(len(out), ","), limit=format(limit, ",")
                ),
                token=self.token,
            )
        return out


@dataclass(frozen=True)
class FallbackSite:
    """One `| default:` in a template: what it guards, and where."""

    label: str
    line: int
    column: int


@dataclass
class MessageTemplate:
    """One compiled part (subject, body or text) of one variant."""

    source: str
    part: str
    bound: BoundTemplate
    autoescape: bool
    fields: list[str]
    sites: dict[int, FallbackSite] = field(default_factory=dict)
    _plan: Any = None

    @property
    def plan(self) -> Any:
        """How the batch renderer splits this template (made on first use)."""
        if self._plan is None:
            from queries.campaigns.render_batch import make_plan

            self._plan = make_plan(self.bound, self.fields)
        return self._plan

    def render(self, context: dict[str, Any]) -> tuple[str, list[int]]:
        """Render for one recipient; returns the text and the fallback sites that fired."""
        fired: list[int] = []
        token = FIRED.set(fired)
        try:
            return self.bound.render(**context), fired
        finally:
            FIRED.reset(token)

    def location(self, index: int) -> tuple[int, int]:
        """1-based line and column of a source index."""
        before = self.source[:index]
        return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


def is_html(source: str) -> bool:
    """A body is HTML (and its values get HTML-escaped) when it contains a tag."""
    return bool(_HTML.search(source))


def _line_col(source: str, index: int) -> tuple[int, int]:
    before = source[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


def _error_index(env: Environment, source: str, err: LiquidError) -> int | None:
    """Where a syntax error is: its token, else the first output or unclosed block that fails."""
    if err.token is not None and err.token.start_index >= 0 and err.token.source == source:
        return err.token.start_index
    for m in _OUTPUT.finditer(source):
        try:
            env.from_string(m.group(0))
        except LiquidError:
            return m.start()
    closing = re.search(r"expected tag end(\w+)", str(err.message))
    if closing:
        opener = list(re.finditer(r"\{%-?\s*" + closing.group(1) + r"\b", source))
        if opener:
            return opener[-1].start()
    return None


def _fail(
    msg: str, source: str, index: int | None, loc: Location, inline: bool, hint: str | None = None
) -> TemplateError:
    if index is None:
        line = source.count("\n") + 1
        return TemplateError(
            _("{msg} (at the end of the template, line {line})").format(msg=msg, line=line),
            loc,
            hint,
            line,
        )
    line, col = _line_col(source, index)
    where = f"template line {line}, column {col}" if inline else f"column {col}"
    if not inline:
        loc = Location(loc.file, line, loc.field)
    return TemplateError(f"{msg} ({where})", loc, hint, line, col)


def compile_template(
    source: str,
    part: str,
    loc: Location,
    available: Iterable[str],
    autoescape: bool = False,
    inline: bool = True,
) -> MessageTemplate:
    """Parse and check a template; errors name the file, line and column."""
    env = HTML_ENV if autoescape else PLAIN_ENV
    if not isinstance(source, str):
        raise TemplateError(_("a template must be text"), loc)
    try:
        bound = env.from_string(source, name=part)
    except LiquidError as err:
        msg = str(err.message)
        unclosed = re.fullmatch(r"expected tag end(\w+), found end of expression", msg)
        if unclosed:
            kind = unclosed.group(1)
            msg = f"`{{% {kind} %}}` is never closed: add `{{% end{kind} %}}`"
        raise _fail(msg, source, _error_index(env, source, err), loc, inline) from None
    names = set(available)
    analysis = bound.analyze(include_partials=False)
    for name, uses in analysis.globals.items():
        if name not in names:
            raise _fail(
                f"unknown variable `{name}`",
                source,
                uses[0].span.index,
                loc,
                inline,
                suggest(name, sorted(names)) or "run `kizuna fields` to list customer fields",
            )
    tpl = MessageTemplate(source, part, bound, autoescape, sorted(analysis.globals))
    for fname, spans in analysis.filters.items():
        if fname not in env.filters:
            raise _fail(
                f"unknown filter `{fname}`",
                source,
                spans[0].index,
                loc,
                inline,
                suggest(fname, sorted(env.filters)),
            )
    ctx = RenderContext(bound)
    _walk(bound.nodes, tpl, ctx)
    return tpl


def _walk(nodes: Iterable[Node], tpl: MessageTemplate, ctx: RenderContext) -> None:
    for node in nodes:
        for expr in node.expressions():
            _walk_expr(expr, tpl)
        _walk(node.children(ctx, include_partials=False), tpl, ctx)


def _walk_expr(expr: Any, tpl: MessageTemplate, loop: bool = False) -> None:
    if type(expr) is RangeLiteral and not loop:  # (a loop's own range: the loop limit applies)
        expr.__class__ = _LimitedRange
    filters = getattr(expr, "filters", None)
    if isinstance(filters, list):
        for i, f in enumerate(filters):
            if type(f) is Filter and f.name == "default":
                f.__class__ = _TrackedDefault
                line, col = tpl.location(f.token.start_index)
                chain = " | ".join(str(x) for x in filters[: i + 1])
                label = f"{getattr(expr, 'left', '?')} | {chain}"
                tpl.sites[f.token.start_index] = FallbackSite(label, line, col)
    iterable = getattr(expr, "iterable", None) if type(expr) is LoopExpression else None
    for child in expr.children() or ():
        _walk_expr(child, tpl, child is iterable)


def render_columns(
    tpl: MessageTemplate, columns: dict[str, Sequence[Any]], n: int, fired: dict[int, int]
) -> list[str | None]:
    """Texts for `n` recipients (None where rendering failed); adds the fallbacks used."""
    from queries.campaigns.render_batch import render_batch

    batch = render_batch(tpl, columns, n)
    for s, k in batch.fired.items():
        fired[s] = fired.get(s, 0) + k
    return batch.texts


def describe_error(tpl: MessageTemplate, err: BaseException) -> str:
    """`'x' is undefined (line 2, column 5)`; a failing filter says what failed on the value."""
    if not isinstance(err, LiquidError):
        return f"a filter failed on this recipient's value ({type(err).__name__}: {err})"
    msg = str(err.message)
    if err.token is not None and err.token.start_index >= 0 and err.token.source == tpl.source:
        line, col = tpl.location(err.token.start_index)
        return f"{msg} (line {line}, column {col})"
    return msg


__all__ = [
    "CAMPAIGN_FIELDS",
    "LiquidError",
    "MessageTemplate",
    "TemplateError",
    "UndefinedError",
    "compile_template",
    "describe_error",
    "is_html",
    "render_columns",
]
