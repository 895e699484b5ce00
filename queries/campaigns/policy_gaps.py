"""Which contact-policy protections a snapshot cannot run, and which channels it cannot serve.

A real snapshot may lack opt-in columns, a suppression list or a message history. A channel
without an address column cannot be sent to; a channel without an opt-in column is refused
unless kizuna.toml states where consent comes from ([consent] email = "all" or a boolean
field); a missing suppression list, history or dedupe key is shown in the funnel as a step
that cannot run, never silently passed.
"""

from __future__ import annotations

from queries.campaigns.model import ADDRESS
from queries.core.catalog import Catalog

OPT_IN = {"email": "email_opt_in", "sms": "sms_opt_in", "line": "line_opt_in"}

CONSENT_ALL = "all"


def refusal(catalog: Catalog, channel: str, require_consent: bool) -> tuple[str, str] | None:
    """(message, hint) when a campaign on `channel` cannot go out from this snapshot."""
    addr = catalog.fields[ADDRESS[channel]]
    if addr.unavailable:
        return (
            f"channel `{channel}` is unavailable in this snapshot: {addr.unavailable}",
            f"map the {ADDRESS[channel]} column in kizuna.toml [columns.customers]",
        )
    if not require_consent:
        return None
    source = catalog.consent.get(channel)
    if source is None:
        opt = catalog.fields[OPT_IN[channel]]
        if opt.unavailable:
            return (
                f"consent for {channel} cannot be checked: {opt.unavailable}",
                f"map {OPT_IN[channel]} in kizuna.toml [columns.customers], or state the "
                f'consent source: [consent] {channel} = "all" or a boolean field',
            )
        return None
    if source == CONSENT_ALL:
        return None
    f = catalog.fields.get(source)
    if f is None or f.type != "boolean":
        return (
            f"kizuna.toml [consent] {channel} = {source!r} is not a boolean field",
            'use "all" or the name of a boolean customer field',
        )
    if f.unavailable:
        return (f"consent field `{source}` is unavailable: {f.unavailable}", "map its column")
    return None


def consent_field(catalog: Catalog, channel: str) -> str | None:
    """The boolean field that holds consent for `channel`; None when everyone consented."""
    source = catalog.consent.get(channel)
    if source == CONSENT_ALL:
        return None
    return source or OPT_IN[channel]


def gaps(catalog: Catalog, channel: str, dedupe_key: str | None) -> dict[str, str]:
    """Funnel step → why it cannot run (or runs on less) on this snapshot."""
    out: dict[str, str] = {}
    if not catalog.has("suppression_list"):
        out["suppression"] = "the snapshot has no suppression_list"
    elif not (
        catalog.has("suppression_list", "customer_id") or catalog.has("suppression_list", "email")
    ):
        out["suppression"] = "suppression_list has neither customer_id nor email"
    if not (catalog.has("messages", "customer_id") and catalog.has("messages", "sent_at")):
        out["frequency_cap"] = "no message history in the snapshot: counts Kizuna's ledger only"
    if dedupe_key is not None and dedupe_key in catalog.fields:
        why = catalog.fields[dedupe_key].unavailable
        if why:
            out["dedupe"] = f"cannot dedupe by {dedupe_key}: {why}"
    return out
