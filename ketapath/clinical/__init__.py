"""The pure clinical core: scoring, rules, dosing and pharmacokinetics.

Nothing below this package imports Django, touches HTTP or the database. Functions take plain
values (dataclasses, numbers, NumPy arrays) and return plain values. Clinical knowledge lives in
the TOML files under ``data/``, each datum naming the source it comes from.
"""
