"""Follow-up after treatment: the schedule, outcome charts, responder status, the review note and
the clinic's cohort report."""
