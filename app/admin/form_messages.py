"""WTForms' own sentences ("Not a valid choice." ...), which it has no Indonesian for, read from
Loket's catalogue instead: every form of the app uses ``Form`` below.

The list marks them for extraction; WTForms asks for them by their English text.
"""

from __future__ import annotations

from typing import Any

from flask_babel import get_translations, gettext
from flask_wtf import FlaskForm

from ..domain.errors import N_

WTFORMS_MESSAGES = (
    N_("This field is required."),
    N_("Invalid input."),
    N_("Not a valid choice."),
    N_("Invalid Choice: could not coerce."),
    N_("Choices cannot be None."),
    N_("Invalid choice(s): one or more data inputs could not be coerced."),
    N_("Not a valid datetime value."),
    N_("Not a valid date value."),
    N_("Not a valid time value."),
    N_("Not a valid week value."),
    N_("Not a valid integer value."),
    N_("Not a valid decimal value."),
    N_("Not a valid float value."),
    N_("Number must be at least %(min)s."),
    N_("Number must be at most %(max)s."),
    N_("Number must be between %(min)s and %(max)s."),
    N_("Field must be between %(min)d and %(max)d characters long."),
    N_("Field must be equal to %(other_name)s."),
    N_("Invalid value, must be one of: %(values)s."),
    N_("Invalid value, can't be any of: %(values)s."),
    N_("This field cannot be edited."),
    N_("This field is disabled and cannot have a value."),
    N_("The CSRF token is missing."),
    N_("The CSRF token is invalid."),
    N_("The CSRF token has expired."),
    N_("The CSRF tokens do not match."),
)


class _Translations:
    """What WTForms calls to translate its messages: Loket's catalogue, in the page's language."""

    def gettext(self, string: str) -> str:
        return gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        # Not flask_babel.ngettext: that fills in the placeholders itself with only ``num``, so
        # WTForms' "%(max)d" raised KeyError (a 500 for any text over a length limit). WTForms
        # fills them in afterwards.
        return get_translations().ngettext(singular, plural, n)


class Form(FlaskForm):
    """A FlaskForm whose built-in messages come from Loket's catalogue."""

    class Meta:
        def get_translations(self, form: Any) -> _Translations:
            return _Translations()
