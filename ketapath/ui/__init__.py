"""Form widgets and other plain UI helpers every app may use (a base layer: imports no app)."""
