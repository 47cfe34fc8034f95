"""Clinical alerts: raised by a rule (a questionnaire item, a vital sign, a patient's report),
routed to the right role, and kept open until a clinician records what was done."""
