"""KetaPath: a clinical system for ketamine clinics treating chronic pain, depression and anxiety."""

__version__ = "0.1.0"
