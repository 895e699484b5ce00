"""Kizuna's logical schema: the tables and columns a snapshot maps to, and the derived features."""

from __future__ import annotations

from queries.core.i18n import N_

# name: (type, label, description, pii); labels and descriptions are English msgids
# (queries.core.i18n), shown translated by the catalog
CUSTOMER_COLUMNS: dict[str, tuple[str, str, str, bool]] = {
    "customer_id": ("string", N_("Customer ID"), N_("Unique customer identifier"), False),
    "email": ("string", N_("Email"), N_("Email address"), True),
    "phone": ("string", N_("Phone"), N_("Mobile number in E.164 form"), True),
    "line_user_id": ("string", N_("LINE user ID"), N_("LINE messaging id (U…), when linked"), True),
    "family_name": ("string", N_("Family name"), N_("姓"), True),
    "given_name": ("string", N_("Given name"), N_("名"), True),
    "gender": ("string", N_("Gender"), N_("female / male / other"), False),
    "birth_date": ("date", N_("Birth date"), N_("Date of birth"), True),
    "prefecture": ("string", N_("Prefecture"), N_("都道府県 of the home address"), False),
    "signup_at": ("timestamp", N_("Signed up"), N_("When the customer registered"), False),
    "signup_channel": ("string", N_("Signup channel"), N_("store / web / app / referral"), False),
    "loyalty_tier": ("string", N_("Loyalty tier"), N_("regular / silver / gold / platinum"), False),
    "points": ("number", N_("Points"), N_("Loyalty points balance"), False),
    "email_opt_in": ("boolean", N_("Email opt-in"), N_("Consents to marketing email"), False),
    "sms_opt_in": ("boolean", N_("SMS opt-in"), N_("Consents to marketing SMS"), False),
    "line_opt_in": ("boolean", N_("LINE opt-in"), N_("Consents to LINE messages"), False),
    "preferred_channel": ("string", N_("Preferred channel"), N_("email / sms / line"), False),
}

FEATURE_COLUMNS: dict[str, tuple[str, str, str]] = {
    "order_count": ("number", N_("Orders"), N_("Number of orders up to the as-of date")),
    "purchase_days": (
        "number",
        N_("Purchase days"),
        N_("Distinct calendar days with an order, up to the as-of date"),
    ),
    "total_spend": (
        "number",
        N_("Total spend ({cur})"),
        N_("Sum of order totals up to the as-of date"),
    ),
    "first_order_at": ("timestamp", N_("First order"), N_("Time of the first order")),
    "last_order_at": ("timestamp", N_("Last order"), N_("Time of the most recent order")),
    "recency_days": ("number", N_("Days since last order"), N_("As-of day minus last order day")),
    "avg_order_value": (
        "number",
        N_("Average order value ({cur})"),
        N_("total_spend / order_count"),
    ),
    "age": ("number", N_("Age"), N_("Age in whole years on the as-of date")),
    "rfm_r": ("number", N_("RFM recency score"), N_("1..5, 5 = most recent (quintiles of buyers)")),
    "rfm_f": (
        "number",
        N_("RFM frequency score"),
        N_("1..5, 5 = most orders (quintiles of buyers)"),
    ),
    "rfm_m": (
        "number",
        N_("RFM monetary score"),
        N_("1..5, 5 = highest spend (quintiles of buyers)"),
    ),
    "rfm_segment": (
        "string",
        N_("RFM segment"),
        N_(
            "champions / loyal / potential_loyalist / new / promising / need_attention / "
            "at_risk / cant_lose / hibernating / lost"
        ),
    ),
    "lifecycle_stage": (
        "string",
        N_("Lifecycle stage"),
        N_(
            "prospect (no order) / new (first order ≤30d) / active (≤90d) / at_risk (≤180d) / "
            "dormant (≤365d) / churned (>365d)"
        ),
    ),
    "contacts_7d": (
        "number",
        N_("Contacts, 7 days"),
        N_("Messages sent in the 7 days ending as-of"),
    ),
    "contacts_30d": (
        "number",
        N_("Contacts, 30 days"),
        N_("Messages sent in the 30 days ending as-of"),
    ),
    "last_contacted_at": ("timestamp", N_("Last contacted"), N_("Time of the latest message sent")),
    "nps_last_score": ("number", N_("Last NPS score"), N_("Most recent NPS answer, 0..10")),
    "nps_category": (
        "string",
        N_("NPS category"),
        N_("promoter (9–10) / passive (7–8) / detractor"),
    ),
    "favorite_category": (
        "string",
        N_("Favourite category"),
        N_("Category with the most items bought (ties: alphabetical)"),
    ),
    "email_open_rate_90d": (
        "number",
        N_("Email open rate, 90 days"),
        N_("Opened / sent for email in the last 90 days (0..1; empty when none sent)"),
    ),
    "next_best_category": (
        "string",
        N_("Next best category"),
        N_("Not-yet-bought category most co-bought by buyers of this customer's categories"),
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
