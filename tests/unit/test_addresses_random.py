"""Randomized: dirty variants of the demo's addresses and suppression rows never let a
suppressed, unconsented, over-cap or duplicate address into an export.

Hypothesis dirties a slice of the demo's customers (whitespace incl. tabs and the ideographic
space, case, full-width characters, punctuation in phones, junk values, shared addresses) and
its suppression rows; the real approval and export run on a small snapshot built from them;
the files are then checked with independent code (`phonenumbers` and `unicodedata` directly,
not Kizuna's rules).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from datetime import date, timedelta
from pathlib import Path

import duckdb
import phonenumbers
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from queries.handoff.approval import approve, review
from queries.handoff.export.write import write_export
from queries.query.session import open_session
from tests import dirty_db

ROOT = Path(__file__).resolve().parents[2]
N = 24  # demo customers per example
AS_OF = date(2026, 3, 1)  # the fixture schema's snapshot_meta
CAP = 2
CHANNELS = {"email": ("email", "email_opt_in"), "sms": ("phone", "sms_opt_in"),
            "line": ("line_user_id", "line_opt_in")}  # fmt: skip
HEADER = {"email": "email", "sms": "phone", "line": "line_user_id"}


def _demo() -> tuple[list[dict], list[tuple]]:
    con = duckdb.connect(str(ROOT / "demo.duckdb"), read_only=True)
    try:
        rows = con.execute(
            "SELECT customer_id, email, phone, line_user_id, email_opt_in, sms_opt_in, "
            "line_opt_in FROM customers WHERE phone IS NOT NULL AND line_user_id IS NOT NULL "
            f"ORDER BY customer_id LIMIT {N}"
        ).fetchall()
        supp = con.execute(
            "SELECT customer_id, email, channel, reason FROM suppression_list "
            "ORDER BY added_at LIMIT 12"
        ).fetchall()
    finally:
        con.close()
    keys = ("customer_id", "email", "phone", "line_user_id", "email_opt_in", "sms_opt_in",
            "line_opt_in")  # fmt: skip
    return [dict(zip(keys, r)) for r in rows], supp


DEMO, DEMO_SUPPRESSION = _demo()

# -- dirt ----------------------------------------------------------------------------------
PAD = st.sampled_from(["", " ", "\t", "\u3000", "\r\n", "\u200b", " \t ", "\ufeff"])


def _wide(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


@st.composite
def dirty_text(draw, text: str) -> str:
    how = draw(st.sampled_from(["same", "upper", "title", "wide"]))
    body = {"same": text, "upper": text.upper(), "title": text.title(), "wide": _wide(text)}[how]
    return draw(PAD) + body + draw(PAD)


@st.composite
def dirty_phone(draw, e164: str) -> str:
    national = "0" + e164[3:]  # +81 numbers of the demo
    a, b, c = national[:3], national[3:7], national[7:]
    sep = draw(st.sampled_from(["-", ".", " ", "\t", "", "－", "\u3000"]))
    form = draw(st.sampled_from(["e164", "spaced", "national", "brackets", "wide"]))
    text = {
        "e164": e164,
        "spaced": f"+81 {national[1:3]} {b} {c}",
        "national": f"{a}{sep}{b}{sep}{c}",
        "brackets": f"({a}){b}-{c}",
        "wide": _wide(f"{a}-{b}-{c}"),
    }[form]
    return draw(PAD) + text + draw(PAD)


JUNK = st.sampled_from(["N/A", "-", "x", "", " ", "a@", "@", "なし"])


@st.composite
def world(draw) -> tuple[list[dict], list[tuple], list[tuple]]:
    customers = []
    for row in DEMO:
        c = dict(row)
        for f in ("email_opt_in", "sms_opt_in", "line_opt_in"):
            c[f] = draw(st.sampled_from([True, True, True, False, None]))
        source = c
        if customers and draw(st.integers(0, 5)) == 0:  # share another customer's addresses
            source = draw(st.sampled_from(customers))["_clean"]
        c["_clean"] = {k: source[k] for k in ("email", "phone", "line_user_id")}
        c["email"] = draw(st.one_of(dirty_text(source["email"]), JUNK) if draw(
            st.integers(0, 9)) == 0 else dirty_text(source["email"]))  # fmt: skip
        c["phone"] = draw(JUNK) if draw(st.integers(0, 9)) == 0 else draw(
            dirty_phone(source["phone"]))  # fmt: skip
        c["line_user_id"] = draw(PAD) + source["line_user_id"] + draw(PAD)
        customers.append(c)
    suppression = []
    for cid, email, channel, reason in DEMO_SUPPRESSION:  # the demo's own rows, dirtied
        chan = draw(st.sampled_from([channel, channel.upper(), f" {channel}\t"]))
        suppression.append((cid and cid + draw(PAD), email and draw(dirty_text(email)), chan,
                            reason))  # fmt: skip
    for c in draw(
        st.lists(st.sampled_from(customers), max_size=6, unique_by=lambda c: c["customer_id"])
    ):
        chan = draw(st.sampled_from(["all", "email", "sms", "line", "ALL ", "Email\t"]))
        if draw(st.booleans()):
            suppression.append((draw(PAD) + c["customer_id"] + draw(PAD), None, chan, "r"))
        else:
            suppression.append((None, draw(dirty_text(c["_clean"]["email"])), chan, "r"))
    messages = []
    for c in draw(st.lists(st.sampled_from(customers), max_size=10)):
        ago = draw(st.integers(0, 12))
        sent = (AS_OF - timedelta(days=ago)).isoformat() + " 10:00:00"
        messages.append((c["customer_id"], draw(st.sampled_from(["email", "sms"])), sent))
    for c in customers:
        del c["_clean"]
    return customers, suppression, messages


# -- independent rules ---------------------------------------------------------------------
BLANKS = "".join(
    chr(i) for i in range(0x110000)
    if chr(i).isspace() or unicodedata.category(chr(i)) in ("Cc", "Cf", "Zs", "Zl", "Zp")
)  # fmt: skip


def ref_email(raw: str | None) -> str | None:
    if raw is None:
        return None
    text = unicodedata.normalize("NFKC", raw).strip(BLANKS).lower()
    return text if re.fullmatch(r"[^@\s,;<>()\[\]:\"]+@[\w-]+(\.[\w-]+)+", text) else None


def ref_phone(raw: str | None) -> str | None:
    if raw is None:
        return None
    text = "".join(ch for ch in unicodedata.normalize("NFKC", raw) if ch not in BLANKS)
    try:
        n = phonenumbers.parse(text, "JP")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(n):
        return None
    return phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)


def ref_line(raw: str | None) -> str | None:
    text = (raw or "").strip(BLANKS)
    return text if re.fullmatch(r"U[0-9a-f]{32}", text) else None


REF = {"email": ref_email, "sms": ref_phone, "line": ref_line}


def expected(
    channel: str, customers, suppression, messages, ledger: dict[str, int]
) -> dict[str, str]:
    """Normalised address → the customer who must get it (lowest id), by the policy rules.

    `ledger`: contacts per customer id by the campaigns exported before this one."""
    field, opt = CHANNELS[channel]
    start = AS_OF - timedelta(days=6)  # within: 7d
    contacts = dict(ledger)
    for cid, _, sent in messages:
        if start <= date.fromisoformat(sent[:10]) <= AS_OF:
            contacts[cid] = contacts.get(cid, 0) + 1
    # the cap compares addresses: contacts of every customer id sharing the channel address
    per_addr: dict[str, int] = {}
    for c in customers:
        addr = REF[channel](c[field])
        if addr is not None:
            per_addr[addr] = per_addr.get(addr, 0) + contacts.get(c["customer_id"], 0)
    out: dict[str, str] = {}
    for c in sorted(customers, key=lambda c: c["customer_id"]):
        addr = REF[channel](c[field])
        if c[opt] is not True or addr is None:
            continue  # no consent or no usable address
        email = ref_email(c["email"])
        hit = False
        for sid, semail, schan, _ in suppression:
            if (schan or "").strip(BLANKS).lower() not in ("all", channel):
                continue
            if sid is not None and sid.strip(BLANKS) == c["customer_id"]:
                hit = True
            if semail is not None and email is not None and ref_email(semail) == email:
                hit = True
        if hit or per_addr[addr] >= CAP:
            continue
        out.setdefault(addr, c["customer_id"])  # dedupe: the lowest customer id keeps it
    return out


# no shrinking: each example builds a snapshot and runs three exports (shrinking takes minutes);
# the failing example is printed whole
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
)
@given(world())
def test_no_wrong_address_is_ever_exported(tmp_path_factory, data) -> None:
    customers, suppression, messages = data
    tmp = tmp_path_factory.mktemp("dirty")
    db = dirty_db.build(tmp / "snap.duckdb", customers, suppression, messages)
    s = open_session(dirty_db.workspace(tmp / "ws", db))
    ledger: dict[str, int] = {}  # earlier exports count against the cap (the ledger)
    try:
        for channel in ("email", "sms", "line"):
            policy = f"{{max_contacts: {{count: {CAP}, within: 7d}}}}"
            c = dirty_db.campaign(s, channel, policy, stem=f"r_{channel}")
            rec = approve(s, review(s, c), "lead", force=True)
            m = write_export(s, c, rec, s.ws.root / "exports", channel, messages=False, force=True)
            text = (Path(m["folder"]) / "audience.csv").read_bytes().decode("utf-8")
            rows = list(csv.DictReader(io.StringIO(text, newline="")))
            got = {r[HEADER[channel]]: r["customer_id"] for r in rows}
            assert len(got) == len(rows), f"{channel}: one address exported twice"
            assert got == expected(channel, customers, suppression, messages, ledger), channel
            for cid in got.values():
                ledger[cid] = ledger.get(cid, 0) + 1
    finally:
        s.close()
