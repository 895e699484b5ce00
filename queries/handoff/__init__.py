"""The handoff: approval, fingerprints, the contact ledger, the audit log, locks and export."""
