"""Preparation instructions for one appointment, computed from its date and time.

Pure (no database): the caller gives the appointment, the protocol it follows, the clinic's
settings and the medicines the patient listed at intake.

- **Fasting**: the rule set the clinic chose for the nurse's pre-infusion check
  (``fasting.ruleset``), with that rule set's source, so the patient is told what will be checked.
  No source read gives a ketamine-specific rule, so an unset choice tells the patient to ask the
  clinic instead of inventing one. Each rule becomes a clock time (the
  appointment's start minus the rule's hours) when the start time is known, else "N hours before".
  Rules for infants (breast milk, formula) are left out of an adult's instructions. The patient
  reads each rule in the data file's plain words (``patient_label``, "Clear drinks such as
  water"), and the rule set by its plain name; the citation is the clinicians' to read.
- **Escort and driving**: an escort when the protocol's source requires one (the esketamine label)
  or the clinic's policy says so; no driving until the next day (the label for esketamine; for
  other protocols the project's standard advice, which the nurse's pre-check asks the patient to
  acknowledge).
- **Medicines to discuss, what to bring, what to wear**: plain advice written by the project, with
  no clinical numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from ketapath.clinic_settings.display import clock, day
from ketapath.clinical.fasting import IntakeKind, RuleSet, rulesets
from ketapath.clinical.protocols import Protocol
from ketapath.clinical.protocols.model import fmt
from ketapath.clinical.sources import Cited, get_source

INFANT_ONLY = frozenset({IntakeKind.BREAST_MILK, IntakeKind.INFANT_FORMULA})

BRING = (
    "A list of every medicine you take, with the doses, and any new medicine since your last visit.",
    "Your escort's name and phone number.",
    "Glasses or hearing aids if you use them; headphones and calm music if you would like them.",
    "A warm layer or a small blanket: some people feel cold during treatment.",
)
WEAR = (
    "Comfortable, loose clothes.",
    "A top with short sleeves, or sleeves that roll up easily above the elbow, for the drip and the "
    "blood pressure cuff.",
    "Flat, comfortable shoes. Leave jewellery and valuables at home.",
)
MEDICINES_GENERAL = (
    "Tell the nurse about every medicine you took today.",
    "Also tell them about anything new since your last visit: a medicine, vitamins or other "
    "supplements, or street drugs.",
    "Do not stop or change your usual medicines for your session, unless your prescriber told you to.",
)
DRIVING_STANDARD = "Do not drive, cycle or use machinery until the next day, after a night's sleep."
# Why the patient is asked, in plain words (the clinicians' basis, with its citation, is kept as
# ``escort_basis`` and ``driving_basis``).
ESCORT_WHY_PROTOCOL = "This is part of the instructions for your treatment."
ESCORT_WHY_CLINIC = "This is your clinic's rule."
DRIVING_WHY_LABEL = "This is part of the instructions that come with esketamine."
DRIVING_WHY_STANDARD = "The nurse will ask you to agree to this before your session."


@dataclass(frozen=True)
class FastingLine:
    label: str
    hours: Decimal
    last_at: datetime | None  # None when the start time is not known
    note: str = ""

    @property
    def hours_text(self) -> str:
        minutes = self.hours * 60
        if self.hours < 1:
            return f"{fmt(minutes)} minutes"
        return f"{fmt(self.hours)} hour{'s' if self.hours != 1 else ''}"


@dataclass(frozen=True)
class Preparation:
    on: date
    starts_at: datetime | None
    fasting: tuple[FastingLine, ...]
    fasting_rule_name: str
    fasting_source: str  # the rule set's citation; "" when not set
    fasting_reference: str  # the full reference of that source
    escort: str
    escort_basis: str
    driving: str
    driving_basis: str
    escort_why: str  # the basis in plain words, for the patient
    driving_why: str
    fasting_plain: str  # the rule set's plain name (``patient_name``); "" when not set
    medicines: tuple[str, ...]
    listed_medicines: tuple[str, ...]
    bring: tuple[str, ...] = BRING
    wear: tuple[str, ...] = WEAR
    notes: tuple[str, ...] = field(default=())

    @property
    def time_known(self) -> bool:
        return self.starts_at is not None


def is_esketamine(protocol: Protocol | None) -> bool:
    return protocol is not None and protocol.drug.value == "esketamine"


def _before(starts_at: datetime, gap: timedelta) -> datetime:
    """``gap`` of real time before the start, on the start's own clock.

    Python subtracts from an aware datetime on the wall clock; across a daylight-saving change
    that is an hour off the real fasting time (a 07:00 start on the spring change, 8 hours back,
    must read 22:00, not 23:00), so an aware start is counted back in UTC."""
    if starts_at.tzinfo is None:
        return starts_at - gap
    return (starts_at.astimezone(UTC) - gap).astimezone(starts_at.tzinfo)


def _fasting(ruleset: RuleSet, starts_at: datetime | None) -> tuple[FastingLine, ...]:
    lines = []
    for rule in ruleset.rules:
        if set(rule.intakes) <= INFANT_ONLY:
            continue
        last = None if starts_at is None else _before(starts_at, timedelta(minutes=float(rule.min_minutes)))
        lines.append(FastingLine(rule.for_patient, rule.min_hours, last, rule.patient_note or rule.note))
    return tuple(lines)


def _medicine_lines(text: str) -> tuple[str, ...]:
    parts = [p.strip(" -•\t") for p in text.replace(";", "\n").splitlines()]
    return tuple(p for p in parts if p)


def preparation_for(
    *,
    on: date,
    starts_at: datetime | None,
    protocol: Protocol | None,
    clinic_ruleset: str | None,
    clinic_escort: bool | None,
    medicines_text: str = "",
) -> Preparation:
    """The instructions for one appointment.

    >>> from ketapath.clinical.protocols import published_protocols
    >>> p = preparation_for(on=date(2025, 3, 3), starts_at=datetime(2025, 3, 3, 10, 0),
    ...     protocol=published_protocols()["singh-2016-trd"], clinic_ruleset="asa-2017", clinic_escort=True)
    >>> [(f.label, f.last_at.strftime("%H:%M")) for f in p.fasting][:2]
    [('Clear drinks such as water', '08:00'), ('Milk, and drinks with milk in them', '04:00')]
    >>> p.fasting_source
    'American 2017, Summary of recommendations: fasting recommendations table'
    >>> p.fasting_plain
    'the usual fasting times before a procedure with sedation'
    >>> p.escort_basis, p.escort_why
    ("your clinic's policy", "This is your clinic's rule.")
    """
    chosen: RuleSet | None = None
    if clinic_ruleset and clinic_ruleset in rulesets():
        chosen = rulesets()[clinic_ruleset]
    cited = ""
    if protocol is not None and protocol.monitoring.requires_escort:
        citation = protocol.monitoring.citation
        escort = "Someone must take you home after the session: arrange an adult escort before you come."
        cited = citation.label() if citation else protocol.source_label
    elif clinic_escort:
        escort = "Someone must take you home after the session: arrange an adult escort before you come."
    elif clinic_escort is False:
        escort = "Your clinic does not require an escort, but you must not drive home."
    else:
        escort = "Plan for an adult to take you home after the session; ask your clinic if it is required."
    escort_basis = cited or ("your clinic's policy" if clinic_escort is not None else "ask your clinic")
    escort_why = ESCORT_WHY_PROTOCOL if cited else (ESCORT_WHY_CLINIC if clinic_escort is not None else "")
    if is_esketamine(protocol):
        driving = "Do not drive or use machinery until the next day, after a restful sleep."
        driving_basis = Cited(get_source("spravato-pi-2019"), "17 Patient counseling information").label()
        driving_why = DRIVING_WHY_LABEL
    else:
        driving = DRIVING_STANDARD
        driving_basis = "KetaPath's standard advice: the nurse asks you to confirm it before your session"
        driving_why = DRIVING_WHY_STANDARD
    return Preparation(
        on=on,
        starts_at=starts_at,
        fasting=() if chosen is None else _fasting(chosen, starts_at),
        fasting_rule_name="" if chosen is None else chosen.name,
        fasting_source="" if chosen is None else chosen.citation.label(),
        fasting_reference="" if chosen is None else chosen.citation.source.citation(),
        escort=escort,
        escort_basis=escort_basis,
        driving=driving,
        driving_basis=driving_basis,
        escort_why=escort_why,
        driving_why=driving_why,
        fasting_plain="" if chosen is None else (chosen.patient_name or chosen.name),
        medicines=MEDICINES_GENERAL,
        listed_medicines=_medicine_lines(medicines_text),
    )


def as_text(prep: Preparation) -> str:
    """The instructions as plain text, for the reminder e-mail."""
    lines = []
    # In the clinic's date order and clock (the caller holds its display: ``shown_as``); the times
    # are already in the clinic's zone.
    when = (
        f"{day(prep.starts_at, 'long', localize=False)} at {clock(prep.starts_at, localize=False)}"
        if prep.starts_at
        else day(prep.on, "long")
    )
    lines.append(f"Your session: {when}.")
    lines.append("")
    lines.append("Eating and drinking before your session:")
    if not prep.fasting:
        lines.append("- Ask your clinic when to stop eating and drinking before your session.")
    for f in prep.fasting:
        if f.last_at is not None:
            last = clock(f.last_at, localize=False)
            lines.append(f"- {f.label}: nothing after {last} ({f.hours_text} before).")
        else:
            lines.append(f"- {f.label}: nothing in the {f.hours_text} before your session.")
        if f.note:
            lines.append(f"  {f.note}")
    if prep.fasting_plain:
        lines.append(f"  (Your clinic uses {prep.fasting_plain}.)")
    lines += ["", "Getting home:", f"- {prep.escort}", f"- {prep.driving}", "", "Medicines:"]
    lines += [f"- {m}" for m in prep.medicines]
    if prep.listed_medicines:
        lines.append("- The medicines you listed with us: " + "; ".join(prep.listed_medicines))
    lines += ["", "What to bring:"] + [f"- {b}" for b in prep.bring]
    lines += ["", "What to wear:"] + [f"- {w}" for w in prep.wear]
    return "\n".join(lines)
