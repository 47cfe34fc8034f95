"""The registry of flowsheet entry kinds: each kind declared once.

A kind's ``name`` is its one spelling everywhere: the URL (``<session>/entries/<name>/``), the
page's tables and forms, the correction page and the live fragment. Its declaration names the
model, the form, the validation hooks (``ketapath.infusions.entries``), whether it moves the
session's status, its row and form templates, how it is corrected, and its FHIR mapping
(``ketapath.infusions.fhir_mappings``). ``ketapath.infusions.actions.chart_entry`` charts any
kind; ``ketapath.infusions.views.entry`` serves entry and correction of any kind.

Adding a kind (as the IV-site check was added): its model and migration (models.py), its form
(forms.py), its ``prepare`` hook (entries.py), its FHIR builder (fhir_mappings.py) and one
declaration below, with ``columns`` and ``cells`` so the generic templates draw its card, rows
and form on the flowsheet (no template to write); then its tests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.http import Http404
from django.utils import timezone

from ketapath.clinical.instruments import Instrument, get_instrument
from ketapath.infusions import entries, fhir_mappings
from ketapath.infusions.charting import Charting
from ketapath.infusions.entries import Prepared
from ketapath.infusions.flowsheet import Flowsheet
from ketapath.infusions.forms import (
    DecisionForm,
    DischargeForm,
    EntryForm,
    EventForm,
    IvSiteForm,
    MedicationForm,
    PreCheckForm,
    ScoreForm,
    SideEffectForm,
    VitalsForm,
)
from ketapath.infusions.models import (
    DischargeEntry,
    FlowsheetEntry,
    InfusionEventEntry,
    InfusionSession,
    IvSiteCheck,
    MedicationEntry,
    PreCheck,
    PrescriberDecision,
    ScoreEntry,
    SideEffectEntry,
    VitalsEntry,
)

Prepare = Callable[[Charting, Mapping[str, Any]], Prepared]
After = Callable[[Charting, Any, Prepared], None]
MovesStatus = Callable[[InfusionSession, Any], bool]
Builder = Callable[[dict[str, Any], list[Any]], list[dict[str, Any]]]


@dataclass(frozen=True)
class EntryKind:
    name: str
    label: str
    model: type[FlowsheetEntry]
    form: type[EntryForm]
    prepare: Prepare
    after: After | None = None
    #: Refuses any entry of the kind, a withdrawal included (a session marked not given).
    guard: Callable[[InfusionSession], None] | None = None
    #: What a withdrawal must still satisfy (the pump record possible without the row).
    before_void: Callable[[Charting], None] | None = None
    moves_status: MovesStatus = entries.never
    #: A correction supersedes the row; a withdrawal takes it out without a replacement.
    correctable: bool = True
    withdrawable: bool = True
    permission: str = "infusions.chart"
    #: The FHIR resources of the session's rows of this kind (None: not exported on its own).
    fhir: Builder | None = None
    #: The rows as the flowsheet already loaded them (None: read from the model).
    rows: Callable[[Flowsheet], list[Any]] | None = None
    #: The form needs the scale it scores (a score's instrument).
    scaled: bool = False
    #: A kind drawn by the generic templates in a card of its own: the table's column headings
    #: (after the time) and each row's cells. Kinds with a hand-made section leave these empty.
    columns: tuple[str, ...] = ()
    cells: Callable[[Any], list[str]] | None = None

    @property
    def generic(self) -> bool:
        return self.cells is not None

    @property
    def row_template(self) -> str:
        return "infusions/rows/_entry.html" if self.generic else f"infusions/rows/_{self.slug}.html"

    @property
    def form_template(self) -> str:
        return "infusions/forms/_entry.html" if self.generic else f"infusions/forms/_{self.slug}.html"

    @property
    def slug(self) -> str:
        """The name as a template file name (``side-effect`` -> ``side_effect``)."""
        return self.name.replace("-", "_")

    def make_form(
        self, data: Any = None, *, initial: dict[str, Any] | None = None, instrument: Instrument | None = None
    ) -> Any:
        if self.scaled:
            if instrument is None:
                raise Http404("Not one of the session's scales.")
            return self.form(data, definition=instrument, initial=initial or {})
        return self.form(data, initial=initial or {})

    def session_rows(self, sheet: Flowsheet) -> list[Any]:
        if self.rows is not None:
            return self.rows(sheet)
        return list(
            self.model.objects.filter(session=sheet.session)
            .select_related("recorded_by")
            .order_by("observed_at", "id")
        )

    def correction_form(self, original: Any, data: Any) -> Any:
        """The kind's form prefilled with the original's values (a new client key)."""
        instrument = get_instrument(original.instrument_id) if self.scaled else None
        initial = correction_initial(original, self.make_form(instrument=instrument))
        return self.make_form(data, initial=initial, instrument=instrument)


def _minute(moment: datetime) -> datetime:
    return timezone.localtime(moment).replace(second=0, microsecond=0)


def correction_initial(original: Any, blank: Any) -> dict[str, Any]:
    """The original's values under its form's field names (times local, to the minute)."""
    initial: dict[str, Any] = {}
    for name in blank.fields:
        if name == "client_key":
            continue
        if name.startswith("item_"):
            initial[name] = original.answers.get(name.removeprefix("item_"))
        elif name == "escort_present":
            initial[name] = {True: "yes", False: "no"}.get(original.escort_present, "")
        elif hasattr(original, name):
            value = getattr(original, name)
            initial[name] = _minute(value) if isinstance(value, datetime) else value
    return initial


KINDS: dict[str, EntryKind] = {
    kind.name: kind
    for kind in (
        EntryKind(
            "precheck",
            "pre-infusion checklist",
            PreCheck,
            PreCheckForm,
            entries.prepare_precheck,
            entries.after_precheck,
            moves_status=entries.always,
            withdrawable=False,
            rows=lambda sheet: sheet.rows.prechecks,
        ),
        EntryKind(
            "decision",
            "prescriber's decision",
            PrescriberDecision,
            DecisionForm,
            entries.prepare_decision,
            entries.after_decision,
            moves_status=entries.always,
            # A decision is not corrected: a later decision replaces it.
            correctable=False,
            withdrawable=False,
            permission="infusions.decide",
            rows=lambda sheet: sheet.rows.decisions,
        ),
        EntryKind(
            "event",
            "pump event",
            InfusionEventEntry,
            EventForm,
            entries.prepare_event,
            entries.after_event,
            guard=entries.guard_event,
            before_void=entries.before_void_event,
            moves_status=entries.always,
            fhir=fhir_mappings.administrations,
            rows=lambda sheet: sheet.rows.events,
        ),
        EntryKind(
            "medication",
            "medicine given",
            MedicationEntry,
            MedicationForm,
            entries.prepare_medication,
            fhir=fhir_mappings.medications,
            rows=lambda sheet: sheet.rows.medications,
        ),
        EntryKind(
            "vitals",
            "vital signs",
            VitalsEntry,
            VitalsForm,
            entries.prepare_vitals,
            entries.after_vitals,
            moves_status=entries.vitals_move_status,
            fhir=fhir_mappings.vitals,
            rows=lambda sheet: sheet.rows.vitals,
        ),
        EntryKind(
            "score",
            "score",
            ScoreEntry,
            ScoreForm,
            entries.prepare_score,
            entries.after_score,
            moves_status=entries.score_moves_status,
            fhir=fhir_mappings.scores,
            rows=lambda sheet: sheet.rows.scores,
            scaled=True,
        ),
        EntryKind(
            "side-effect",
            "side effect",
            SideEffectEntry,
            SideEffectForm,
            entries.prepare_side_effect,
            entries.after_side_effect,
            # A pause or stop recorded with the side effect (entries.pump_change) moves it.
            moves_status=entries.always,
            fhir=fhir_mappings.adverse_events,
            rows=lambda sheet: sheet.rows.side_effects,
        ),
        EntryKind(
            "discharge",
            "discharge",
            DischargeEntry,
            DischargeForm,
            entries.prepare_discharge,
            moves_status=entries.always,
            rows=lambda sheet: sheet.rows.discharges,
        ),
        EntryKind(
            "iv-site",
            "IV-site check",
            IvSiteCheck,
            IvSiteForm,
            entries.prepare_iv_site,
            fhir=fhir_mappings.iv_site_observations,
            columns=("Site", "Appearance", "Action taken"),
            cells=lambda row: [
                row.site,
                ", ".join(row.appearance_labels()) + (f" ({row.note})" if row.note else ""),
                row.get_action_display(),
            ],
        ),
    )
}


def kind_named(name: str) -> EntryKind:
    """The kind spelled ``name``; an unknown name is a page not found."""
    kind = KINDS.get(name)
    if kind is None:
        raise Http404("No such kind of entry.")
    return kind
