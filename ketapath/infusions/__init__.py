"""Infusion sessions: the nurse's live flowsheet, from pre-checks to discharge and signature."""
