"""Engine errors: unreachable, not installed, failed, or SQL not verified on that engine."""

from __future__ import annotations

from queries.core.errors import KizunaError


class EngineError(KizunaError):
    """The engine cannot be reached, is not installed or configured, or a query failed there."""


class UnsupportedConstruct(EngineError):
    """A segment or field uses SQL that Kizuna has not verified on the target engine."""

    def __init__(self, construct: str, dialect: str, sql: str = ""):
        self.construct, self.dialect, self.sql = construct, dialect, sql
        if construct == "this dialect":
            msg = f"unknown SQL dialect `{dialect}`"
        else:
            msg = (
                f"`{construct}` cannot run on {dialect}: Kizuna has not verified that it gives "
                f"the same answer there"
            )
            if sql:
                snippet = sql if len(sql) <= 80 else sql[:77] + "..."
                msg += f" (in `{snippet}`)"
            msg += "; rewrite the condition or field, or run it on another engine"
        super().__init__(msg)


def missing_extra(extra: str, module: str) -> EngineError:
    return EngineError(
        f"the {extra} engine needs the `{module}` package: pip install 'kizuna[{extra}]'"
    )
