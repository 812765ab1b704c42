"""Every audit action has its label in both languages, so the administrator's audit page can show any event."""

from __future__ import annotations

import oncobank.web.query_labels  # noqa: F401  (the query pages add their labels to the table on import)
from oncobank.store.audit import ACTIONS
from oncobank.web.labels import REPORT_LABELS, WEB_LABELS


def test_every_audit_action_is_labelled() -> None:
    missing = [a for a in ACTIONS if f"action_{a}" not in WEB_LABELS and f"action_{a}" not in REPORT_LABELS]
    assert missing == []
