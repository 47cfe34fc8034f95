"""The audit trail: record history wiring, the chart access log, no hard deletes."""
