"""Key bindings by id: every `Binding` has one, and `[keys]` in kizuna.toml rebinds it.

```toml
[keys]
"builder.add_field" = "f"        # binding id = key(s), comma-separated for several
"app.theme" = "f9"
```
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from textual.binding import Binding, BindingType

# every Binding made here with its English description (the msgid), so a language switch
# can re-translate it (tui/lang.py)
BOUND: list[tuple[Binding, str]] = []


def bind(
    key: str,
    action: str,
    description: str,
    id: str,
    show: bool = True,
    priority: bool = False,
    key_display: str | None = None,
) -> Binding:
    """A Binding that always carries an id (so it can be rebound); its description is
    translated now and again whenever the language changes."""
    from queries.core.i18n import _

    b = Binding(
        key, action, _(description), show=show, priority=priority, id=id, key_display=key_display
    )
    BOUND.append((b, description))
    return b


def binding_ids(owners: Iterable[type]) -> dict[str, Binding]:
    """Every binding with an id declared on the given classes (and their bases)."""
    out: dict[str, Binding] = {}
    for owner in owners:
        for klass in reversed(owner.__mro__):
            for b in klass.__dict__.get("BINDINGS", []):
                if isinstance(b, Binding) and b.id:
                    out[b.id] = b
    return out


def read_keymap(
    raw: Mapping[str, Any], known: Mapping[str, Binding]
) -> tuple[dict[str, str], list[str]]:
    """Validate `[keys]` from kizuna.toml: (binding id → keys, problems to show)."""
    keymap: dict[str, str] = {}
    problems: list[str] = []
    if not isinstance(raw, Mapping):
        return {}, ['kizuna.toml [keys] must be a table of binding id = "key"']
    for bid, keys in raw.items():
        if bid not in known:
            problems.append(f"kizuna.toml [keys]: unknown binding id `{bid}`")
        elif not isinstance(keys, str) or not keys.strip():
            problems.append(f'kizuna.toml [keys]: `{bid}` needs a key such as "f5" or "ctrl+k"')
        else:
            keymap[bid] = ",".join(k.strip() for k in keys.split(",") if k.strip())
    return keymap, problems


def keys_for(binding: Binding, keymap: Mapping[str, str]) -> str:
    """The key(s) a binding answers to once the keymap is applied."""
    if binding.id and binding.id in keymap:
        return keymap[binding.id]
    return binding.key


def bindings_of(owner: Any) -> list[Binding]:
    """The declared bindings of a widget, screen or app class (nearest class last wins)."""
    seen: dict[str, Binding] = {}
    for klass in reversed(type(owner).__mro__ if not isinstance(owner, type) else owner.__mro__):
        for b in klass.__dict__.get("BINDINGS", []):
            if isinstance(b, Binding):
                seen[b.id or f"{klass.__name__}.{b.action}"] = b
    return list(seen.values())


__all__ = ["BindingType", "bind", "binding_ids", "bindings_of", "keys_for", "read_keymap"]


# Tab moves focus at once (a priority binding runs before the next key is delivered), so
# `2`, Tab, `1y` typed quickly lands `2` and `1y` in two boxes instead of `21y` in one.
FOCUS_KEYS = [
    bind("tab", "app.focus_next", "Next field", id="dialog.next", show=False, priority=True),
    bind(
        "shift+tab",
        "app.focus_previous",
        "Previous field",
        id="dialog.previous",
        show=False,
        priority=True,
    ),
]
