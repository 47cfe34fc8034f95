"""Start Django for a command, turning a configuration error into one clear line."""

from __future__ import annotations

import os


def setup_django(settings_module: str = "ketapath.settings") -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    import django

    django.setup()
