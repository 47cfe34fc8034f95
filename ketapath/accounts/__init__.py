"""Clinics, staff, roles and the access policy."""
