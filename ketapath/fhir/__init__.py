"""FHIR R4 export builders: plain values in, JSON-ready dicts out (no Django import)."""
