"""The patient registry: demographics, contacts, escort, measurements, pathway stage."""
