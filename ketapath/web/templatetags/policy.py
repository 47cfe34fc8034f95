"""``{% load policy %}`` then ``{% if user|may:"patients.edit" %}``: the policy in templates."""

from typing import Any

from django import template

from ketapath.accounts.policy import allowed

register = template.Library()


@register.filter
def may(user: Any, permission: str) -> bool:
    return allowed(user, permission)
