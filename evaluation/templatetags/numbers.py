"""Template filters for evaluation.numbers: {{ value|percent }}, {{ value|ms }}, {{ value|count }}."""

from django import template

from .. import numbers

register = template.Library()
register.filter("percent", numbers.percent)
register.filter("ms", numbers.milliseconds)
register.filter("count", numbers.count)
