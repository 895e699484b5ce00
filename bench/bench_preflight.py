"""Benchmark: preflight throughput (recipients/s) against plain python-liquid, at 1M customers.

Run:  python bench/bench_preflight.py [--customers 1000000] [--plain-limit N]

Builds (or reuses) bench/scale-<N>.duckdb with `kizuna demo`, writes a campaign addressed to
every customer (10% holdout, two email variants, a coupon each) in a scratch workspace, then
in the same process:
  1. preflight: render subject and body for every recipient and run every check
     (undefined, fallbacks, budgets, encoding, empty, distinct), with coupons;
  2. plain python-liquid: fetch the same rows with the same query and render the same
     templates recipient by recipient in a loop (no checks at all);
and prints both rates and the ratio. Case `simple` uses templates made of text and
`{{ field | default: ... }}` (preflight renders them column by column); case `logic` adds
`{% if %}` / `{% case %}` (preflight falls back to python-liquid per recipient).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from liquid import Environment, StrictUndefined  # noqa: E402

from queries.campaigns.audience import CampaignQuery  # noqa: E402
from queries.campaigns.parse import load_campaign  # noqa: E402
from queries.campaigns.preflight import preflight  # noqa: E402
from queries.demo.generate import generate_demo  # noqa: E402
from queries.engines.jobs import Job  # noqa: E402
from queries.query.session import open_session  # noqa: E402

SIMPLE_BODY = """\
<p>{{ family_name }} {{ given_name | default: "" }} 様</p>
<p>いつもご利用ありがとうございます。
{{ favorite_category | default: "人気" }} の新作をご案内します。</p>
<p>クーポンコード：<strong>{{ coupon }}</strong>（{{ send_date | date: "%m月%d日" }}から14日間）</p>
<p>保有ポイント：{{ points | default: 0 }} pt ／
おすすめ：{{ next_best_category | default: "skincare" }}</p>
<p><a href="https://shop.example.jp/?utm_content={{ variant }}">ショップを見る</a></p>
"""
LOGIC_BODY = """\
{%- assign pick = next_best_category | default: favorite_category | default: "skincare" -%}
{%- case pick -%}
  {%- when "skincare" -%}{%- assign label = "スキンケア" -%}
  {%- when "makeup" -%}{%- assign label = "メイクアップ" -%}
  {%- else -%}{%- assign label = "新着アイテム" -%}
{%- endcase -%}
<p>{{ family_name }} {{ given_name | default: "" }} 様</p>
<p>{{ label }}の新作が入荷しました。</p>
{%- if points > 0 %}<p>{{ points }} ポイントをお持ちです。</p>{%- endif %}
<p>クーポン：<strong>{{ coupon }}</strong></p>
"""
CAMPAIGN = """\
name: bench {case}
who:
  where: {{all: []}}
how: {{channel: email}}
what:
  variants:
    - name: A
      weight: 50
      subject: "{{{{ family_name }}}}様、{{{{ points | default: 0 }}}}ポイントのお知らせ"
      body_file: templates/{case}.liquid
    - name: B
      weight: 50
      subject: "{{{{ given_name | default: 'お客' }}}}様へ特別なご案内"
      body_file: templates/{case}.liquid
  coupon: {{prefix: BN, length: 8}}
holdout: {{percent: 10, salt: bench}}
"""


def plain_liquid(session, c, limit: int | None) -> tuple[int, float]:
    """Fetch the recipients with the same query and render each with python-liquid."""
    q = CampaignQuery(session, c)
    plain, html = (
        Environment(undefined=StrictUndefined),
        Environment(undefined=StrictUndefined, autoescape=True),
    )
    templates = {
        (name, part): (html if tpl.autoescape else plain).from_string(tpl.source)
        for (name, part), tpl in c.templates.items()
    }
    send_date = c.send_date(session.snapshot.as_of)
    query = q.select(q.recipients()).order_by(q.cid.copy())
    start, n = time.perf_counter(), 0
    for rows in session.runner.stream(query, Job(), 50_000):
        for _cid, arm, coupon, *vals in rows:
            ctx = dict(zip(q.fields, vals))
            ctx.update(coupon=coupon, variant=arm, send_date=send_date, campaign_name=c.name)
            for part in c.parts:
                templates[(arm, part)].render(**ctx)
            n += 1
            if limit and n >= limit:
                return n, time.perf_counter() - start
    return n, time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--db", type=Path, default=None, help="snapshot (default bench/scale-N.duckdb)")
    ap.add_argument("--cases", default="simple,logic")
    ap.add_argument(
        "--plain-limit",
        type=int,
        default=None,
        help="render only this many recipients with plain python-liquid (rate extrapolated)",
    )
    args = ap.parse_args()
    db = args.db or HERE / f"scale-{args.customers}.duckdb"
    if not db.exists():
        print(f"building {db.name} …", flush=True)
        t = time.perf_counter()
        generate_demo(db, customers=args.customers)
        print(f"  generated in {time.perf_counter() - t:.1f}s")
    ws = HERE / ".cache" / "ws-preflight"
    shutil.rmtree(ws, ignore_errors=True)
    for sub in ("segments", "campaigns", "templates"):
        (ws / sub).mkdir(parents=True)
    (ws / "kizuna.toml").write_text(f'[snapshot]\npath = "{db.resolve().as_posix()}"\n')
    (ws / "templates" / "simple.liquid").write_text(SIMPLE_BODY, encoding="utf-8")
    (ws / "templates" / "logic.liquid").write_text(LOGIC_BODY, encoding="utf-8")
    session = open_session(ws)
    snap = session.snapshot
    print(f"snapshot {db.name}: {snap.base_size:,} customers, as of {snap.as_of}")
    print(f"{'case':<8} {'recipients':>10} {'preflight/s':>12} {'plain/s':>10} {'ratio':>6}  paths")
    for case in args.cases.split(","):
        path = ws / "campaigns" / f"{case}.yaml"
        path.write_text(CAMPAIGN.format(case=case), encoding="utf-8")
        c = load_campaign(path, session.catalog, ws, session.store)
        report = preflight(session, c)
        pf_rate = report.recipients / report.elapsed
        n, took = plain_liquid(session, c, args.plain_limit)
        plain_rate = n / took
        paths = ", ".join(f"{k}={'column' if v else 'liquid'}" for k, v in report.fast.items())
        print(
            f"{case:<8} {report.recipients:>10,} {pf_rate:>12,.0f} {plain_rate:>10,.0f} "
            f"{pf_rate / plain_rate:>6.1f}  {paths}",
            flush=True,
        )
        print(
            f"         preflight {report.elapsed:.1f}s (ok={report.ok}, "
            f"{len(report.findings)} finding kinds); plain python-liquid {took:.1f}s for {n:,}"
        )
    session.close()


if __name__ == "__main__":
    main()
