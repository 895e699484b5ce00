"""Campaigns: the model, parsing, personalised messages, coupons, assignment, funnel, preflight."""
