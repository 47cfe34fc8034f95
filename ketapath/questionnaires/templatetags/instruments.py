"""``{{ assignment.instrument_id|instrument_name }}``: the instrument's short name."""

from django import template

from ketapath.clinical.instruments import UnknownInstrumentError, get_instrument

register = template.Library()


@register.filter
def instrument_name(instrument_id: str) -> str:
    try:
        return get_instrument(instrument_id).name
    except UnknownInstrumentError:
        return instrument_id
