"""The columns of a per-study AI result row, shared by the CSV/JSON reader and the Structured Report reader."""

RESULT_COLUMNS = ("study_uid", "service_version", "sent_at", "received_at", "probability", "category")
