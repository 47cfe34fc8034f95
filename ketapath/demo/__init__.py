"""The demo clinic: synthetic people only, loaded by ``ketapath demo`` (never by migrations)."""
