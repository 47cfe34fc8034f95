"""Clinic settings: the clinic's own choices where no published source gives a value.

None has a default. Each pure-core module declares the settings it reads (``setting_specs()``);
this app stores what a clinic chose, with history, and shows it as the clinic's choice.
"""
