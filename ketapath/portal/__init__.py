"""The patient's own pages."""
