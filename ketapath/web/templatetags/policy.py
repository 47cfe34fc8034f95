"""``{% load policy %}`` then ``{% if user|may:"patients.edit" %}``: the policy in templates."""

from typing import Any

from django import template

from ketapath.accounts.policy import allowed
from ketapath.web.navigation import chart_sections_for

register = template.Library()


@register.filter
def may(user: Any, permission: str) -> bool:
    return allowed(user, permission)


@register.inclusion_tag("includes/chart_nav.html", takes_context=True)
def chart_nav(context: Any, patient: Any) -> dict[str, Any]:
    request = context["request"]
    return {
        "patient": patient,
        "sections": chart_sections_for(request.user, patient.mrn),
        "current": request.resolver_match.view_name if request.resolver_match else "",
    }
