"""Field labels in Japanese and the words marketers type for them, so search finds both.

A field's English label and description live in the catalog; this adds, per built-in field
name, its Japanese label and synonyms in both languages (`birthday`, `誕生日` → birth_date).
A workspace's custom field may carry `label_ja` and `synonyms` in kizuna.toml [fields.NAME].
"""

from __future__ import annotations

import unicodedata
from typing import Any

# name: (Japanese label, synonyms in English and Japanese)
WORDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "customer_id": ("顧客ID", ("id", "member id", "会員番号", "会員ID")),
    "email": ("メールアドレス", ("mail", "e-mail", "address", "メール")),
    "phone": ("電話番号", ("mobile", "telephone", "tel", "携帯", "電話")),
    "line_user_id": ("LINEユーザーID", ("line id",)),
    "family_name": ("姓", ("surname", "last name", "名字", "苗字", "氏名")),
    "given_name": ("名", ("first name", "name", "名前", "氏名")),
    "gender": ("性別", ("sex", "男女")),
    "birth_date": ("誕生日", ("birthday", "date of birth", "dob", "生年月日", "バースデー")),
    "prefecture": ("都道府県", ("region", "area", "state", "住所", "地域", "県")),
    "signup_at": ("登録日時", ("registered", "joined", "registration", "入会", "登録日")),
    "signup_channel": ("登録チャネル", ("acquisition", "source", "入会経路", "流入経路")),
    "loyalty_tier": ("会員ランク", ("rank", "tier", "status", "level", "ランク", "ステージ")),
    "points": ("ポイント", ("balance", "loyalty points", "ポイント残高")),
    "email_opt_in": ("メール配信許諾", ("consent", "opt in", "permission", "メール許諾", "同意")),
    "sms_opt_in": ("SMS配信許諾", ("consent", "opt in", "permission", "SMS許諾", "同意")),
    "line_opt_in": ("LINE配信許諾", ("consent", "opt in", "friend", "LINE許諾", "同意")),
    "preferred_channel": ("希望チャネル", ("channel", "連絡方法")),
    "order_count": ("購入回数", ("orders", "frequency", "purchases", "注文回数", "購買回数")),
    "total_spend": ("累計購入金額", ("spend", "revenue", "ltv", "monetary", "売上", "購入金額")),
    "first_order_at": ("初回購入日時", ("first purchase", "初回購入", "初購入")),
    "last_order_at": ("最終購入日時", ("last purchase", "latest order", "最終購入", "前回購入")),
    "recency_days": ("最終購入からの日数", ("recency", "days since", "lapsed", "離脱", "休眠")),
    "avg_order_value": ("平均購入単価", ("aov", "basket", "客単価", "平均単価")),
    "age": ("年齢", ("years old", "年代")),
    "rfm_r": ("RFM最新性スコア", ("recency score", "rfm")),
    "rfm_f": ("RFM頻度スコア", ("frequency score", "rfm")),
    "rfm_m": ("RFM金額スコア", ("monetary score", "rfm")),
    "rfm_segment": ("RFMセグメント", ("rfm", "champions", "loyal", "優良顧客")),
    "lifecycle_stage": (
        "ライフサイクル段階",
        ("stage", "dormant", "churn", "active", "休眠", "離反"),
    ),
    "contacts_7d": ("7日間の接触数", ("contacts", "messages sent", "frequency cap", "接触回数")),
    "contacts_30d": ("30日間の接触数", ("contacts", "messages sent", "frequency cap", "接触回数")),
    "last_contacted_at": ("最終接触日時", ("last message", "last sent", "最終配信")),
    "nps_last_score": ("直近のNPSスコア", ("nps", "satisfaction", "推奨度", "満足度")),
    "nps_category": ("NPS区分", ("nps", "promoter", "detractor", "推奨者", "批判者")),
    "favorite_category": (
        "よく買うカテゴリ",
        ("favourite", "favorite", "preferred category", "好み"),
    ),
    "email_open_rate_90d": ("メール開封率（90日）", ("open rate", "engagement", "開封率")),
    "next_best_category": (
        "次のおすすめカテゴリ",
        ("recommendation", "cross-sell", "おすすめ", "レコメンド"),
    ),
    # event fields (the same word in every source)
    "order_id": ("注文ID", ("order number", "注文番号")),
    "total": ("注文金額", ("amount", "order value", "金額", "合計")),
    "channel": ("チャネル", ("store", "web", "app", "店舗", "経路")),
    "coupon_code": ("クーポンコード", ("coupon", "voucher", "クーポン")),
    "product_id": ("商品ID", ("sku", "item", "商品番号")),
    "product_name": ("商品名", ("product", "item", "商品")),
    "category": ("カテゴリ", ("department", "genre", "カテゴリー", "分類", "ジャンル")),
    "brand": ("ブランド", ("maker", "メーカー")),
    "quantity": ("数量", ("qty", "units", "個数")),
    "unit_price": ("単価", ("price", "価格")),
    "event_type": ("イベント種別", ("action", "view", "cart", "search", "行動")),
    "search_term": ("検索語", ("keyword", "query", "検索キーワード")),
    "campaign_id": ("キャンペーンID", ("campaign", "キャンペーン", "施策")),
    "opened": ("開封", ("open", "read", "開封済み")),
    "clicked": ("クリック", ("click", "クリック済み")),
    "score": ("スコア", ("nps", "rating", "点数")),
}


def fold(text: str) -> str:
    """Search form of a text: NFKC (full-width → half-width), lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def label_ja(name: str, custom: dict[str, Any] | None = None) -> str | None:
    """The Japanese label of a field (a custom field's `label_ja`, else the built-in one)."""
    if custom and custom.get("label_ja"):
        return str(custom["label_ja"])
    hit = WORDS.get(name)
    return hit[0] if hit else None


def search_words(name: str, custom: dict[str, Any] | None = None) -> list[str]:
    """Every extra word that should find the field: its Japanese label and its synonyms."""
    words: list[str] = []
    ja = label_ja(name, custom)
    if ja:
        words.append(ja)
    hit = WORDS.get(name)
    if hit:
        words.extend(hit[1])
    if custom and isinstance(custom.get("synonyms"), list):
        words.extend(str(w) for w in custom["synonyms"])
    return words
