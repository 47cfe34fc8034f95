"""Site-wide pages: layout, navigation, per-role dashboards, health check."""
