"""The one exception the PK core raises for bad user input.

Bad data files raise :class:`ketapath.clinical.datafiles.DataFileError` instead; both carry one
sentence that a command line or a form can show as it is.
"""

from __future__ import annotations


class PKInputError(ValueError):
    """A patient, regimen, time grid or option that the PK core cannot use.

    >>> str(PKInputError("weight_kg must be positive"))
    'weight_kg must be positive'
    """
