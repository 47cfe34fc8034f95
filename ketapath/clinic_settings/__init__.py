"""Clinic settings: the clinic's own choices where no published source gives a value.

No clinical setting has a default. The display preferences (``display.py``: the clock and the
date order) are not clinical and read "not set" as the usual format. Each pure-core module
declares the settings it reads (``setting_specs()``); this app stores what a clinic chose, with
history, and shows it as the clinic's choice.
"""
