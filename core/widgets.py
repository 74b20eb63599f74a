"""Choice widgets that render their options in Python, for forms shown on every page view.

Django renders a choice widget through a template that includes one template per
option (``select_option.html`` / ``input_option.html``), each including
``attrs.html`` in turn: dozens of includes and several hundred template nodes for the
accounts filter sidebar, at ~10 µs a node on the production machines — more than
the page's queries. These widgets take the same context (``get_context``: choices, ids,
selection and option attributes are Django's) and print the markup of Django's
templates with ``core.markup``. The price: they ignore ``FORM_RENDERER`` and template
overrides, so use them where the speed matters and Django's default markup is wanted.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.safestring import SafeString

from .markup import attrs_html, format_html_fast, join_html

OPTION_HTML = '\n  <option value="{}"{}>{}</option>'
OPTGROUP_HTML = '\n  <optgroup label="{}">{}\n  </optgroup>'
SELECT_HTML = '<select name="{}"{}>{}\n</select>'
INPUT_OPTION_HTML = '<div>\n    <label{}><input type="{}" name="{}"{}{}> {}</label></div>'
INPUT_GROUP_HTML = "\n  <div><label>{}</label>{}\n  </div>"
MULTIPLE_INPUT_HTML = "<div{}>{}\n</div>"


class InlineOptionsMixin:
    """``render()`` straight from ``get_context()``: subclasses print ``context["widget"]``."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        return self.render_widget(self.get_context(name, value, attrs)["widget"])  # type: ignore[attr-defined]

    def render_widget(self, widget: dict[str, Any]) -> SafeString:
        raise NotImplementedError


class InlineSelectMixin(InlineOptionsMixin):
    """``django/forms/widgets/select.html`` with ``select_option.html``."""

    def render_widget(self, widget: dict[str, Any]) -> SafeString:
        groups = []
        for group_name, options, _index in widget["optgroups"]:
            rendered = join_html(
                format_html_fast(OPTION_HTML, option["value"], attrs_html(option["attrs"]), option["label"])
                for option in options
            )
            groups.append(format_html_fast(OPTGROUP_HTML, group_name, rendered) if group_name else rendered)
        return format_html_fast(SELECT_HTML, widget["name"], attrs_html(widget["attrs"]), join_html(groups))


class InlineSelect(InlineSelectMixin, forms.Select):
    pass


class InlineSelectMultiple(InlineSelectMixin, forms.SelectMultiple):
    pass


class InlineCheckboxSelectMultiple(InlineOptionsMixin, forms.CheckboxSelectMultiple):
    """``django/forms/widgets/multiple_input.html`` with ``input_option.html``."""

    def render_widget(self, widget: dict[str, Any]) -> SafeString:
        groups = []
        for group_name, options, _index in widget["optgroups"]:
            rendered = join_html(self._option_html(option) for option in options)
            groups.append(format_html_fast(INPUT_GROUP_HTML, group_name, rendered) if group_name else rendered)
        # The wrapping <div> carries the widget's id and class only, as in Django's template.
        outer = {name: widget["attrs"].get(name) for name in ("id", "class")}
        return format_html_fast(
            MULTIPLE_INPUT_HTML, attrs_html({k: v for k, v in outer.items() if v}), join_html(groups)
        )

    @staticmethod
    def _option_html(option: dict[str, Any]) -> SafeString:
        label_for = option["attrs"].get("id")
        return format_html_fast(
            INPUT_OPTION_HTML,
            format_html_fast(' for="{}"', label_for) if label_for else "",
            option["type"],
            option["name"],
            "" if option["value"] is None else format_html_fast(' value="{}"', option["value"]),
            attrs_html(option["attrs"]),
            option["label"],
        )
