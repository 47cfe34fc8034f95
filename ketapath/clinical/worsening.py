"""Is a new score a worsening? Judged only against what the instrument's data file cites.

Compared with the same patient's previous score on the instrument's primary scale:

- **positive screen**: the score meets a cited cut-off (for the respondent's covariates, e.g. sex
  for AUDIT-C) and the previous one did not. A first score counts only when ``first_counts`` (a
  re-screening instrument, where a positive screen is itself the finding);
- **worse band**: the score moved into a band that is worse, in the direction the scale's change
  rule names (a scale with no direction is not judged by band);
- **clinically important rise**: the score moved the worse way by at least the cited clinically
  important change (points or percent);
- **rise the clinic set**: only for a scale that cites no cut-off, band or important change, a
  rise of at least ``clinic_rise_points`` (the clinic's own setting) in the worse direction.

A scale that cites none of these is not judged: :func:`basis` says so, and the caller shows the
change without calling it a worsening.

>>> from ketapath.clinical.instruments import get_instrument
>>> phq9 = get_instrument("phq-9")
>>> [w.kind for w in worsenings(phq9, 8, 14)]  # past the cut-off of 10, into a worse band, +6 >= 5
['positive-screen', 'worse-band', 'important-rise']
>>> [w.kind for w in worsenings(phq9, 15, 17)]  # same band, +2 < 5
[]
>>> worsenings(phq9, 14, 8)
()
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from ketapath.clinical.instruments.model import Band, Instrument, Scale

POSITIVE: Final = "positive-screen"
WORSE_BAND: Final = "worse-band"
IMPORTANT_RISE: Final = "important-rise"
CLINIC_RISE: Final = "clinic-rise"
KIND_LABELS: Final = {
    CLINIC_RISE: "rise the clinic set as a worsening",
    POSITIVE: "positive screen",
    WORSE_BAND: "into a worse band",
    IMPORTANT_RISE: "clinically important worsening",
}


@dataclass(frozen=True, slots=True)
class Worsening:
    instrument: str
    kind: str
    text: str
    source: str  # the cited source of the rule that judged it

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


def _band_index(scale: Scale, value: float) -> int | None:
    ordered = sorted(scale.bands, key=lambda b: b.min)
    for n, band in enumerate(ordered):
        if band.min <= value <= band.max:
            return n
    return None


def _band(scale: Scale, value: float) -> Band | None:
    return scale.band_for(value)


def _fmt(value: float) -> str:
    return f"{value:g}"


def basis(definition: Instrument) -> tuple[str, ...]:
    """What a worsening of this instrument is judged against (empty: nothing cited)."""
    scale = definition.primary_scale
    found = []
    if scale.cutoffs:
        found.append("its cited cut-off")
    rule = scale.change
    if scale.bands and rule is not None:
        found.append("its severity bands")
    if rule is not None and (rule.important_points or rule.important_percent):
        found.append("its clinically important change")
    return tuple(found)


def worsenings(
    definition: Instrument,
    previous: float | None,
    current: float,
    covariates: Mapping[str, str] | None = None,
    *,
    first_counts: bool = False,
    clinic_rise_points: float | None = None,
) -> tuple[Worsening, ...]:
    """Each way ``current`` is worse than ``previous`` on the primary scale (none: an empty tuple)."""
    scale = definition.primary_scale
    name = definition.name
    found: list[Worsening] = []
    cov = covariates or {}
    cutoffs = [c for c in scale.cutoffs if c.applies(cov)]
    for cutoff in cutoffs:
        now_positive = cutoff.is_positive(current)
        before = None if previous is None else cutoff.is_positive(previous)
        if now_positive and (before is False or (before is None and first_counts)):
            found.append(
                Worsening(
                    definition.id,
                    POSITIVE,
                    f"{name} {_fmt(current)}: {cutoff.label}",
                    cutoff.cited.label(),
                )
            )
            break
    rule = scale.change
    if previous is None or rule is None:
        return tuple(found)
    worse_way = current - previous if rule.direction == "lower-is-better" else previous - current
    if scale.bands:
        was, now = _band_index(scale, previous), _band_index(scale, current)
        if was is not None and now is not None and now != was:
            worse = now > was if rule.direction == "lower-is-better" else now < was
            band_now, band_was = _band(scale, current), _band(scale, previous)
            if worse and band_now is not None and band_was is not None:
                found.append(
                    Worsening(
                        definition.id,
                        WORSE_BAND,
                        f"{name} moved from {band_was.label} ({_fmt(previous)}) to {band_now.label} "
                        f"({_fmt(current)})",
                        band_now.cited.label(),
                    )
                )
    if worse_way > 0:
        percent = None if previous == 0 else abs(100.0 * (current - previous) / previous)
        if rule.important_points is not None and round(worse_way, 9) >= rule.important_points.value:
            found.append(
                Worsening(
                    definition.id,
                    IMPORTANT_RISE,
                    f"{name} worsened by {_fmt(round(worse_way, 2))} points ({_fmt(previous)} to "
                    f"{_fmt(current)}); the clinically important change is "
                    f"{_fmt(rule.important_points.value)} points",
                    rule.important_points.cited.label(),
                )
            )
        elif (
            rule.important_percent is not None
            and percent is not None
            and round(percent, 9) >= rule.important_percent.value
        ):
            found.append(
                Worsening(
                    definition.id,
                    IMPORTANT_RISE,
                    f"{name} worsened by {percent:.0f} % ({_fmt(previous)} to {_fmt(current)}); the "
                    f"clinically important change is {_fmt(rule.important_percent.value)} %",
                    rule.important_percent.cited.label(),
                )
            )
    if not basis(definition) and clinic_rise_points is not None and worse_way >= clinic_rise_points > 0:
        found.append(
            Worsening(
                definition.id,
                CLINIC_RISE,
                f"{name} worsened by {_fmt(round(worse_way, 2))} points ({_fmt(previous)} to "
                f"{_fmt(current)}); the clinic counts a rise of {_fmt(clinic_rise_points)} points",
                "clinic setting",
            )
        )
    return tuple(found)
