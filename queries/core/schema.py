"""Kizuna's logical schema: the tables and columns a snapshot maps to, and the derived features."""

from __future__ import annotations

# name: (type, label, description, pii)
CUSTOMER_COLUMNS: dict[str, tuple[str, str, str, bool]] = {
    "customer_id": ("string", "Customer ID", "Unique customer identifier", False),
    "email": ("string", "Email", "Email address", True),
    "phone": ("string", "Phone", "Mobile number in E.164 form", True),
    "line_user_id": ("string", "LINE user ID", "LINE messaging id (U…), when linked", True),
    "family_name": ("string", "Family name", "姓", True),
    "given_name": ("string", "Given name", "名", True),
    "gender": ("string", "Gender", "female / male / other", False),
    "birth_date": ("date", "Birth date", "Date of birth", True),
    "prefecture": ("string", "Prefecture", "都道府県 of the home address", False),
    "signup_at": ("timestamp", "Signed up", "When the customer registered", False),
    "signup_channel": ("string", "Signup channel", "store / web / app / referral", False),
    "loyalty_tier": ("string", "Loyalty tier", "regular / silver / gold / platinum", False),
    "points": ("number", "Points", "Loyalty points balance", False),
    "email_opt_in": ("boolean", "Email opt-in", "Consents to marketing email", False),
    "sms_opt_in": ("boolean", "SMS opt-in", "Consents to marketing SMS", False),
    "line_opt_in": ("boolean", "LINE opt-in", "Consents to LINE messages", False),
    "preferred_channel": ("string", "Preferred channel", "email / sms / line", False),
}

FEATURE_COLUMNS: dict[str, tuple[str, str, str]] = {
    "order_count": ("number", "Orders", "Number of orders up to the as-of date"),
    "purchase_days": (
        "number",
        "Purchase days",
        "Distinct calendar days with an order, up to the as-of date",
    ),
    "total_spend": ("number", "Total spend ({cur})", "Sum of order totals up to the as-of date"),
    "first_order_at": ("timestamp", "First order", "Time of the first order"),
    "last_order_at": ("timestamp", "Last order", "Time of the most recent order"),
    "recency_days": ("number", "Days since last order", "As-of day minus last order day"),
    "avg_order_value": ("number", "Average order value ({cur})", "total_spend / order_count"),
    "age": ("number", "Age", "Age in whole years on the as-of date"),
    "rfm_r": ("number", "RFM recency score", "1..5, 5 = most recent (quintiles of buyers)"),
    "rfm_f": ("number", "RFM frequency score", "1..5, 5 = most orders (quintiles of buyers)"),
    "rfm_m": ("number", "RFM monetary score", "1..5, 5 = highest spend (quintiles of buyers)"),
    "rfm_segment": (
        "string",
        "RFM segment",
        "champions / loyal / potential_loyalist / new / promising / need_attention / "
        "at_risk / cant_lose / hibernating / lost",
    ),
    "lifecycle_stage": (
        "string",
        "Lifecycle stage",
        "prospect (no order) / new (first order ≤30d) / active (≤90d) / at_risk (≤180d) / "
        "dormant (≤365d) / churned (>365d)",
    ),
    "contacts_7d": ("number", "Contacts, 7 days", "Messages sent in the 7 days ending as-of"),
    "contacts_30d": ("number", "Contacts, 30 days", "Messages sent in the 30 days ending as-of"),
    "last_contacted_at": ("timestamp", "Last contacted", "Time of the latest message sent"),
    "nps_last_score": ("number", "Last NPS score", "Most recent NPS answer, 0..10"),
    "nps_category": ("string", "NPS category", "promoter (9–10) / passive (7–8) / detractor"),
    "favorite_category": (
        "string",
        "Favourite category",
        "Category with the most items bought (ties: alphabetical)",
    ),
    "email_open_rate_90d": (
        "number",
        "Email open rate, 90 days",
        "Opened / sent for email in the last 90 days (0..1; empty when none sent)",
    ),
    "next_best_category": (
        "string",
        "Next best category",
        "Not-yet-bought category most co-bought by buyers of this customer's categories",
    ),
}

# The logical columns of every snapshot table, as the features SQL and exports read them.
TABLE_COLUMNS: dict[str, list[str]] = {
    "customers": list(CUSTOMER_COLUMNS),
    "orders": ["order_id", "customer_id", "ordered_at", "channel", "total", "coupon_code"],
    "order_items": ["order_id", "product_id", "quantity", "unit_price"],
    "products": ["product_id", "name", "category", "brand", "price"],
    "web_events": ["customer_id", "event_at", "event_type", "product_id", "search_term"],
    "messages": [
        "message_id",
        "customer_id",
        "campaign_id",
        "channel",
        "sent_at",
        "opened_at",
        "clicked_at",
    ],
    "nps_responses": ["customer_id", "responded_at", "score"],
    "suppression_list": ["customer_id", "email", "channel", "reason", "added_at"],
}


EXTRA_TABLES = ("snapshot_meta",)  # read when present, never required
