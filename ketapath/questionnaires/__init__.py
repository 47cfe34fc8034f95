"""Questionnaires in the application: assigned, due, reminded, completed, reviewed.

Definitions and scoring live in the pure core (``ketapath.clinical.instruments``); this app stores
assignments and responses, renders forms from the definitions and routes alerts.
"""
