"""The administration forms, each field with a clear Indonesian/English message."""

from __future__ import annotations

import re
from zoneinfo import available_timezones

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from .. import wifi
from ..auth.users import USERNAME_PATTERN
from ..domain.survey import NAME_MAX, QUESTION_MAX
from ..i18n import ROLE_LABELS
from ..models import COUNTER_CALL_ORDERS, ROLES, SURVEY_ELEMENTS
from .form_messages import Form

REQUIRED = _l("This field is required.")
AT_MOST = _l("At most %(max)d characters.")
TIMEZONES = sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))


def _at_most(length: int) -> Length:
    """A length limit that says itself in the page's language (WTForms' own sentence for it is a
    plural the catalogue does not have)."""
    return Length(max=length, message=AT_MOST)


def _time_or_empty(field_label: str):
    return TimeField(field_label, validators=[Optional()], format="%H:%M")


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _wifi_rule(problem):
    """A validator from one of app.wifi's rules (each answers a catalogue message or None)."""

    def check(form, field) -> None:
        found = problem(field.data or "")
        if found:
            raise ValidationError(gettext(found))

    return check


class OfficeForm(Form):
    slug = StringField(
        _l("Short name in addresses"),
        validators=[
            DataRequired(REQUIRED),
            Regexp(
                r"^[a-z0-9][a-z0-9-]{1,38}$",
                message=_l("Use 2-39 lower-case letters, digits or hyphens, e.g. kota-raja."),
            ),
        ],
    )
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), _at_most(120)])
    timezone = SelectField(
        _l("Time zone"), choices=[SelectChoice(z) for z in TIMEZONES], default="Asia/Makassar"
    )
    always_open = BooleanField(_l("Open at any hour (demonstration)"))
    cutoff_time = _time_or_empty(_l("No new tickets after (HH:MM, empty: until closing)"))
    priority_boost_min = IntegerField(
        _l("Priority tickets queue as if they came this many minutes earlier"),
        default=60,
        validators=[
            InputRequired(REQUIRED),
            NumberRange(0, 480, message=_l("Between 0 and 480 minutes.")),
        ],
    )
    announcement = TextAreaField(_l("Running text on the TV"), validators=[_at_most(1000)])
    ticket_footer = StringField(_l("Footer printed on every ticket"), validators=[_at_most(200)])
    card_stock = IntegerField(
        _l("Blank cards in stock (empty: not counted)"),
        validators=[Optional(), NumberRange(0, 1_000_000, message=_l("A number from 0."))],
    )
    address = StringField(_l("Address (public page and poster)"), validators=[_at_most(300)])
    map_url = StringField(
        _l("Map link (https://… or geo:…, empty: none)"),
        validators=[
            Optional(),
            _at_most(500),
            Regexp(
                r"^(https?://|geo:)[^\s<>\"']+$",
                message=_l("A link that starts with https://, http:// or geo:, without spaces."),
            ),
        ],
    )
    # The guest Wi-Fi that residents' phones join to open their status page (app/wifi.py).
    wifi_ssid = StringField(
        _l("Guest Wi-Fi name (empty: no Wi-Fi QR code)"),
        filters=[_strip],
        validators=[_wifi_rule(wifi.ssid_problem)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    wifi_password = StringField(
        _l("Guest Wi-Fi password (empty: an open network)"),
        validators=[_wifi_rule(wifi.password_problem)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    wifi_hidden = BooleanField(_l("The guest Wi-Fi is a hidden network"))

    def validate_wifi_password(self, field) -> None:
        if field.data and not self.wifi_ssid.data:
            raise ValidationError(
                _l("A password needs the network's name; give it, or clear both.")
            )


class HoursForm(Form):
    """Opening hours for the seven weekdays; a day left empty is closed."""

    mon_opens = _time_or_empty(_l("Monday opens"))
    mon_closes = _time_or_empty(_l("Monday closes"))
    tue_opens = _time_or_empty(_l("Tuesday opens"))
    tue_closes = _time_or_empty(_l("Tuesday closes"))
    wed_opens = _time_or_empty(_l("Wednesday opens"))
    wed_closes = _time_or_empty(_l("Wednesday closes"))
    thu_opens = _time_or_empty(_l("Thursday opens"))
    thu_closes = _time_or_empty(_l("Thursday closes"))
    fri_opens = _time_or_empty(_l("Friday opens"))
    fri_closes = _time_or_empty(_l("Friday closes"))
    sat_opens = _time_or_empty(_l("Saturday opens"))
    sat_closes = _time_or_empty(_l("Saturday closes"))
    sun_opens = _time_or_empty(_l("Sunday opens"))
    sun_closes = _time_or_empty(_l("Sunday closes"))

    DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for day in self.DAYS:
            opens, closes = getattr(self, f"{day}_opens"), getattr(self, f"{day}_closes")
            if (opens.data is None) != (closes.data is None):
                closes.errors.append(_l("Give both times, or neither for a closed day."))
                ok = False
            elif opens.data is not None and opens.data >= closes.data:
                closes.errors.append(_l("Closing must come after opening."))
                ok = False
        return ok


class SpecialDayForm(Form):
    day = DateField(_l("Date"), validators=[DataRequired(_l("Give a date (YYYY-MM-DD)."))])
    is_open = SelectField(
        _l("The office is"),
        choices=[
            SelectChoice("open", _l("open (e.g. an extra Saturday session)")),
            SelectChoice("closed", _l("closed (e.g. a holiday)")),
        ],
    )
    opens = _time_or_empty(_l("Opens (empty: the weekday's hours)"))
    closes = _time_or_empty(_l("Closes"))
    note = StringField(_l("Note shown to residents"), validators=[_at_most(200)])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.opens.data and self.closes.data and self.opens.data >= self.closes.data:
            self.closes.errors.append(_l("Closing must come after opening."))
            ok = False
        return ok


class ServiceForm(Form):
    code = StringField(
        _l("Letter"),
        validators=[
            DataRequired(REQUIRED),
            Regexp(r"^[A-Za-z]$", message=_l("One letter, A to Z.")),
        ],
    )
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), _at_most(120)])
    name_en = StringField(_l("Name in English"), validators=[Optional(), _at_most(120)])
    colour = StringField(
        _l("Colour"),
        default="#1565c0",
        validators=[Regexp(r"^#[0-9a-fA-F]{6}$", message=_l("A colour like #1565c0."))],
    )
    produces_card = BooleanField(_l("Produces a card (print station and pickup)"))
    daily_quota = IntegerField(
        _l("Daily quota (empty: none)"),
        validators=[Optional(), NumberRange(1, 100_000, message=_l("At least 1."))],
    )
    active = BooleanField(_l("Offered"), default=True)
    position = IntegerField(
        _l("Order on the kiosk"),
        default=0,
        validators=[InputRequired(REQUIRED), NumberRange(0, 99, message=_l("Between 0 and 99."))],
    )
    default_minutes = IntegerField(
        _l("Minutes per person, before there is history"),
        default=7,
        validators=[
            InputRequired(REQUIRED),
            NumberRange(1, 60, message=_l("Between 1 and 60 minutes.")),
        ],
    )
    ticket_footer = StringField(
        _l("Extra footer on this service's tickets"), validators=[_at_most(200)]
    )
    bring = TextAreaField(_l("What to bring (public page and poster)"), validators=[_at_most(400)])


WEEKDAY_FIELDS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class BookingPlanForm(Form):
    """When a service takes bookings ahead."""

    enabled = BooleanField(_l("Takes bookings"))
    mon = BooleanField(_l("Monday"))
    tue = BooleanField(_l("Tuesday"))
    wed = BooleanField(_l("Wednesday"))
    thu = BooleanField(_l("Thursday"))
    fri = BooleanField(_l("Friday"))
    sat = BooleanField(_l("Saturday"))
    sun = BooleanField(_l("Sunday"))
    starts = TimeField(
        _l("Bookings from (HH:MM)"),
        format="%H:%M",
        validators=[InputRequired(_l("Give a time (HH:MM)."))],
    )
    ends = TimeField(
        _l("Bookings until (HH:MM)"),
        format="%H:%M",
        validators=[InputRequired(_l("Give a time (HH:MM)."))],
    )
    slot_min = IntegerField(
        _l("Minutes per slot"),
        default=15,
        validators=[
            InputRequired(REQUIRED),
            NumberRange(5, 240, message=_l("Between 5 and 240 minutes.")),
        ],
    )
    places = IntegerField(
        _l("Places per slot"),
        default=2,
        validators=[InputRequired(REQUIRED), NumberRange(1, 100, message=_l("Between 1 and 100."))],
    )
    walk_in_pct = IntegerField(
        _l("Share of the daily quota kept for walk-ins (%)"),
        default=50,
        validators=[InputRequired(REQUIRED), NumberRange(0, 100, message=_l("Between 0 and 100."))],
    )
    early_min = IntegerField(
        _l("Check-in opens this many minutes before the slot"),
        default=30,
        validators=[InputRequired(REQUIRED), NumberRange(0, 240, message=_l("Between 0 and 240."))],
    )
    late_min = IntegerField(
        _l("Check-in closes this many minutes after the slot's end"),
        default=15,
        validators=[InputRequired(REQUIRED), NumberRange(0, 240, message=_l("Between 0 and 240."))],
    )
    days_ahead = IntegerField(
        _l("Bookings open this many days ahead"),
        default=14,
        validators=[InputRequired(REQUIRED), NumberRange(1, 60, message=_l("Between 1 and 60."))],
    )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.starts.data and self.ends.data and self.starts.data >= self.ends.data:
            self.ends.errors.append(_l("The end must come after the start."))
            ok = False
        if self.enabled.data and not any(getattr(self, d).data for d in WEEKDAY_FIELDS):
            self.mon.errors.append(_l("Choose at least one day."))
            ok = False
        return ok


class CounterForm(Form):
    number = IntegerField(
        _l("Number"),
        validators=[InputRequired(REQUIRED), NumberRange(1, 99, message=_l("Between 1 and 99."))],
    )
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), _at_most(60)])
    services = StringField(
        _l("Services it calls, in order (letters, e.g. C E F)"), validators=[_at_most(60)]
    )
    call_order = SelectField(
        _l("Next ticket"),
        choices=[
            SelectChoice("oldest", _l("the one waiting longest across its services")),
            SelectChoice(
                "service_order", _l("its first service with anyone waiting, in the order above")
            ),
        ],
    )
    is_open = BooleanField(_l("Open"), default=True)

    def validate_call_order(self, field) -> None:
        if field.data not in COUNTER_CALL_ORDERS:
            raise ValidationError(_l("Choose one of the listed orders."))


class UserForm(Form):
    username = StringField(
        _l("User name"),
        validators=[
            DataRequired(REQUIRED),
            Regexp(
                USERNAME_PATTERN,
                flags=re.IGNORECASE,
                message=_l("2-64 letters, digits, dot, hyphen or underscore."),
            ),
        ],
    )
    display_name = StringField(_l("Name shown on screens"), validators=[_at_most(120)])
    # The least power by default: a new account is an operator unless the admin says otherwise.
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice(r, ROLE_LABELS[r]) for r in ROLES],
        default="operator",
    )
    office = SelectField(_l("Office"), choices=[])
    active = BooleanField(_l("Active"), default=True)
    prints_via_agent = BooleanField(_l("Kiosk printing through a remote print agent"))


class ElementWordingForm(Form):
    """One survey element as the office words it (part of SurveyWordingForm)."""

    class Meta:
        csrf = False  # the whole form's token covers it

    name = StringField(
        _l("Name"),
        filters=[_strip],
        validators=[_at_most(NAME_MAX)],
    )
    question = TextAreaField(
        _l("Question"),
        filters=[_strip],
        validators=[_at_most(QUESTION_MAX)],
    )
    question_en = TextAreaField(
        _l("Question in English (optional)"),
        filters=[_strip],
        validators=[_at_most(QUESTION_MAX)],
    )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if bool(self.name.data) != bool(self.question.data):
            empty = self.question if self.name.data else self.name
            empty.errors.append(_l("Give both the element's name and its question, or neither."))
            ok = False
        return ok


class SurveyWordingForm(Form):
    """The nine survey elements' wording: fields u1 ... u9, each an ElementWordingForm."""


for _code in SURVEY_ELEMENTS:
    setattr(SurveyWordingForm, _code, FormField(ElementWordingForm, label=_code))
