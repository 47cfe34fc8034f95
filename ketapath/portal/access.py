"""The patient's own record: the only record a patient's pages can reach.

The helper itself lives in the base layer (``ketapath.patients.access.own_patient``) so that the
pathway apps' portal pages (the intake, discharge instructions) use the same one; a record marked
entered in error answers 404 on every portal page.
"""

from __future__ import annotations

from ketapath.patients.access import own_patient

__all__ = ["own_patient"]
