"""Every administration form: its validation messages, its effect, and its audit entry."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Counter, Office, OpeningHours, SpecialDay, User
from tests.conftest import assert_error
from tests.factories import SERVICE_FORM

from .conftest import audit, errors, text

SETTINGS = {
    "name": "Dukcapil Kota Kupang",
    "timezone": "Asia/Makassar",
    "always_open": "y",
    "cutoff_time": "",
    "priority_boost_min": "60",
    "announcement": "Pelayanan KTP-el hari Sabtu tanggal 5 Desember.",
    "ticket_footer": "Bawa fotokopi KK",
    "card_stock": "",
}


def office(app, slug: str = "kupang") -> Office:
    with app.app_context():
        found = db.session.scalar(select(Office).where(Office.slug == slug))
        db.session.expunge(found)
        return found


def test_settings_refuse_bad_values_with_sentences_and_keep_the_office(app, admin):
    bad = admin.post(
        "/admin/kupang/settings",
        {
            **SETTINGS,
            "name": "",
            "priority_boost_min": "-5",
            "cutoff_time": "25:99",
            "card_stock": "lots",
        },
    )
    assert bad.status_code == 400
    found = errors(bad)
    assert "This field is required." in found
    assert "Between 0 and 480 minutes." in found
    assert any("time" in e.lower() for e in found)
    assert office(app).name == "Kantor kupang"
    assert audit(app, "office.update") == []


def test_settings_save_and_record_what_changed(app, admin, api):
    done = admin.post("/admin/kupang/settings", {**SETTINGS, "card_stock": "250"})
    assert done.status_code == 302
    saved = office(app)
    assert (saved.name, saved.ticket_footer, saved.card_stock) == (
        "Dukcapil Kota Kupang",
        "Bawa fotokopi KK",
        250,
    )
    [change] = audit(app, "office.update")
    details = json.loads(change.details)
    assert details["name"] == ["Kantor kupang", "Dukcapil Kota Kupang"]
    assert change.remote_addr == "127.0.0.1" and change.user_id is not None
    [stock] = audit(app, "stock.set")
    assert json.loads(stock.details) == {"card_stock": [None, 250]}
    board = api.get("/api/v1/offices/kupang/board").get_json()
    assert board["seq"] > 0  # screens refresh with the new running text


def test_new_office_checks_the_short_name(app, admin, signed_in_as):
    bad = admin.post("/admin/offices/new", {**SETTINGS, "slug": "Kota Raja!"})
    assert bad.status_code == 400 and any("lower-case" in e for e in errors(bad))
    taken = admin.post("/admin/offices/new", {**SETTINGS, "slug": "oebobo"})
    assert "Another office already uses this short name." in errors(taken)
    made = admin.post("/admin/offices/new", {**SETTINGS, "slug": "alak"})
    assert made.status_code == 302 and made.headers["Location"].endswith("/admin/alak/services")
    with app.app_context():
        alak = db.session.scalar(select(Office).where(Office.slug == "alak"))
        assert [h.weekday for h in alak.hours] == [0, 1, 2, 3, 4]
    local = signed_in_as("admin-oebobo")
    assert local.get("/admin/offices/new").status_code == 403


def test_office_admin_sees_only_their_office(signed_in_as):
    local = signed_in_as("admin-oebobo")
    assert local.get("/admin/oebobo/settings").status_code == 200
    for page in ("settings", "users", "reports", "trail", "printers", "devices"):
        assert local.get(f"/admin/kupang/{page}").status_code == 403
    assert local.post("/admin/kupang/settings", SETTINGS).status_code == 403
    assert local.get("/admin/").headers["Location"].endswith("/admin/oebobo/")


HOURS = {
    f"{d}_{w}": ""
    for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    for w in ("opens", "closes")
}


def test_hours_need_both_times_in_order(app, admin):
    bad = admin.post(
        "/admin/kupang/hours",
        {**HOURS, "mon_opens": "16:00", "mon_closes": "08:00", "tue_opens": "08:00"},
    )
    assert bad.status_code == 400
    assert errors(bad) == [
        "Closing must come after opening.",
        "Give both times, or neither for a closed day.",
    ]
    good = admin.post(
        "/admin/kupang/hours",
        {
            **HOURS,
            "mon_opens": "07:30",
            "mon_closes": "15:00",
            "sat_opens": "08:00",
            "sat_closes": "12:00",
        },
    )
    assert good.status_code == 302
    with app.app_context():
        rows = db.session.scalars(
            select(OpeningHours)
            .join(Office)
            .where(Office.slug == "kupang")
            .order_by(OpeningHours.weekday)
        ).all()
        assert [
            (h.weekday, h.opens.isoformat("minutes"), h.closes.isoformat("minutes")) for h in rows
        ] == [(0, "07:30", "15:00"), (5, "08:00", "12:00")]
    [change] = audit(app, "hours.update")
    assert json.loads(change.details)["tue"] == [["08:00:00", "16:00:00"], None]


def test_special_days_add_and_remove(app, admin):
    data = {
        "special-day": "2026-12-05",
        "special-is_open": "open",
        "special-opens": "08:00",
        "special-closes": "12:00",
        "special-note": "Layanan KTP-el hari Sabtu",
    }
    assert admin.post("/admin/kupang/special-days", data).status_code == 302
    twice = admin.post("/admin/kupang/special-days", data)
    assert twice.status_code == 400
    assert "This date already has a special day; remove it first." in errors(twice)
    bad = admin.post("/admin/kupang/special-days", {**data, "special-day": "5/12/2026"})
    assert bad.status_code == 400 and errors(bad)
    with app.app_context():
        day = db.session.scalars(select(SpecialDay)).one()
        assert day.is_open and day.opens.hour == 8
        day_id = day.id
    assert admin.post(f"/admin/kupang/special-days/{day_id}/delete").status_code == 302
    with app.app_context():
        assert db.session.scalars(select(SpecialDay)).all() == []
    assert [e.action for e in audit(app, "special_day.add")] == ["special_day.add"]


def test_services_validate_letter_colour_and_quota(app, admin, api):
    bad = admin.post(
        "/admin/kupang/services/new",
        {**SERVICE_FORM, "code": "EE", "colour": "green", "daily_quota": "0"},
    )
    assert bad.status_code == 400
    assert set(errors(bad)) == {"One letter, A to Z.", "A colour like #1565c0.", "At least 1."}
    twin = admin.post("/admin/kupang/services/new", {**SERVICE_FORM, "code": "A"})
    assert "Another service of this office uses this letter." in errors(twin)
    assert admin.post("/admin/kupang/services/new", SERVICE_FORM).status_code == 302
    listed = {s["code"]: s for s in api.get("/api/v1/offices/kupang/services").get_json()}
    assert listed["E"]["name"] == "Surat Pindah" and listed["E"]["colour"] == "#0f766e"
    assert api.issue("E")["code"] == "E-001"
    renamed = admin.post("/admin/kupang/services/E", {**SERVICE_FORM, "code": "F"})
    assert "cannot change" in " ".join(errors(renamed))
    assert (
        admin.post("/admin/kupang/services/E", {**SERVICE_FORM, "daily_quota": "2"}).status_code
        == 302
    )
    api.issue("E")
    assert_error(
        api.post("/api/v1/offices/kupang/tickets", {"service": "E"}, as_="kiosk"),
        409,
        "quota_reached",
    )
    assert [e.action for e in audit(app, "service.update")] == ["service.update"]


COUNTER = {
    "number": "7",
    "name": "Loket 7",
    "services": "C A",
    "call_order": "service_order",
    "is_open": "y",
}


def test_counters_validate_number_and_letters(app, admin):
    twin = admin.post("/admin/kupang/counters/new", {**COUNTER, "number": "1"})
    assert "Another counter of this office has this number." in errors(twin)
    unknown = admin.post("/admin/kupang/counters/new", {**COUNTER, "services": "C Z C"})
    assert any("Give each service letter once" in e for e in errors(unknown))
    order = admin.post("/admin/kupang/counters/new", {**COUNTER, "call_order": "random"})
    assert order.status_code == 400 and errors(order)
    assert admin.post("/admin/kupang/counters/new", COUNTER).status_code == 302
    with app.app_context():
        made = db.session.scalar(
            select(Counter).join(Office).where(Office.slug == "kupang", Counter.number == 7)
        )
        assert [link.service.code for link in made.links] == ["C", "A"]
        assert made.call_order == "service_order"


SPECIAL_DAY = {"special-day": "2026-12-05", "special-is_open": "closed", "special-note": "Libur"}
NEW_USER = {"username": "rina", "role": "operator", "office": "kupang", "active": "y"}
# (form, what it is sent with, the field, its limit): each text field that has a length limit.
LENGTH_LIMITS = [
    ("/admin/kupang/settings", SETTINGS, "name", 120),
    ("/admin/kupang/settings", SETTINGS, "announcement", 1000),
    ("/admin/kupang/settings", SETTINGS, "ticket_footer", 200),
    ("/admin/kupang/settings", SETTINGS, "address", 300),
    ("/admin/kupang/special-days", SPECIAL_DAY, "special-note", 200),
    ("/admin/kupang/services/new", SERVICE_FORM, "name", 120),
    ("/admin/kupang/services/new", SERVICE_FORM, "name_en", 120),
    ("/admin/kupang/services/new", SERVICE_FORM, "bring", 400),
    ("/admin/kupang/counters/new", COUNTER, "name", 60),
    ("/admin/kupang/users", NEW_USER, "display_name", 120),
]


@pytest.mark.parametrize(
    ("lang", "sentence"), [("en", "At most %d characters."), ("id", "Paling banyak %d karakter.")]
)
@pytest.mark.parametrize(("path", "data", "field", "limit"), LENGTH_LIMITS)
def test_text_over_its_length_limit_gets_a_sentence_not_a_500(
    signed_in_as, path, data, field, limit, lang, sentence
):
    """A paste longer than a field allows (a whole letter into the TV's running text) used to
    answer 500: WTForms' own sentence for it went through flask_babel's ngettext, which raised
    KeyError on "%(max)d"."""
    admin = signed_in_as("admin", lang=lang)
    form_page = path.replace("special-days", "hours")
    response = admin.post(path, {**data, field: "x" * (limit + 1)}, form_page=form_page)
    assert response.status_code == 400
    assert errors(response) == [sentence % limit]


def test_users_create_shows_the_password_once_and_it_signs_in(app, admin, signed_in_as):
    bad = admin.post(
        "/admin/kupang/users",
        {"username": "x", "role": "operator", "office": "kupang", "active": "y"},
    )
    assert bad.status_code == 400 and any("2-64 letters" in e for e in errors(bad))
    made = admin.post(
        "/admin/kupang/users",
        {
            "username": "rina",
            "display_name": "Rina",
            "role": "operator",
            "office": "kupang",
            "active": "y",
        },
    )
    assert made.status_code == 201
    page = text(made)
    # The new-user form is empty again for the next person (it kept "rina": created twice).
    assert 'value="rina"' not in page.split('id="secret-value"')[1]
    assert "data-secret" in page
    password = page.split('id="secret-value" class="link-box" value="')[1].split('"')[0]
    assert len(password) >= 12
    from tests.web import sign_in

    assert sign_in(app.test_client(), "rina", password).status_code == 302
    # The password is on the page only, never in the (signed, readable) session cookie.
    cookie = admin.client.get_cookie("session").value
    stored = app.session_interface.get_signing_serializer(app).loads(cookie)
    assert password not in json.dumps(stored, default=str)
    taken = admin.post(
        "/admin/kupang/users", {"username": "rina", "role": "operator", "office": "kupang"}
    )
    assert taken.status_code == 400 and any("taken" in e for e in errors(taken))


def test_disabling_a_user_signs_them_out_and_admins_cannot_disable_themselves(
    app, admin, signed_in_as, world
):
    operator = signed_in_as("operator")
    assert operator.get("/counter/").status_code == 200
    uid = world.users["operator"].id
    off = admin.post(
        f"/admin/kupang/users/{uid}",
        {"username": "operator", "role": "operator", "office": "kupang", "display_name": ""},
    )
    assert off.status_code == 302
    assert operator.get("/counter/").status_code == 302  # back to sign-in
    me = world.users["admin"].id
    self_off = admin.post(
        f"/admin/kupang/users/{me}", {"username": "admin", "role": "admin", "office": "kupang"}
    )
    assert self_off.status_code == 400
    assert "You cannot disable yourself or take away your own administration." in errors(self_off)
    with app.app_context():
        assert db.session.get(User, me).active


def test_office_admin_cannot_touch_users_of_other_offices(signed_in_as, world):
    local = signed_in_as("admin-oebobo")
    target = world.users["operator"].id
    assert local.get(f"/admin/oebobo/users/{target}").status_code == 403
    assert local.post(f"/admin/oebobo/users/{target}/password").status_code == 403


def test_password_reset_is_shown_once_and_ends_old_sessions(app, admin, signed_in_as, world):
    clerk = signed_in_as("clerk")
    assert clerk.get("/station/print").status_code == 200
    reset = admin.post(f"/admin/kupang/users/{world.users['clerk'].id}/password")
    assert reset.status_code == 200 and "data-secret" in text(reset)
    assert clerk.get("/station/print").status_code == 302
    assert [e.target for e in audit(app, "user.password_reset")] == ["clerk"]


@pytest.mark.parametrize("action", ["password", "tokens"])
def test_user_page_after_a_new_password_or_token_shows_the_user_as_saved(admin, world, action):
    """The page that shows a new password or token once also holds the user's edit form. It was
    filled from that button's POST, which has no "active" box: the form showed an active user
    as not active, and saving it (say, to fix the name) disabled the account."""
    user = world.users["clerk"]
    page = admin.post(f"/admin/kupang/users/{user.id}/{action}")
    assert page.status_code == 200 and "data-secret" in text(page)
    active = re.search(r'<input[^>]*name="active"[^>]*>', text(page))[0]
    assert "checked" in active
    shown = re.search(r'<input[^>]*name="display_name"[^>]*>', text(page))[0]
    assert f'value="{user.display_name}"' in shown


def test_wtforms_plural_sentences_are_filled_in_not_raised(app):
    """WTForms fills in its plural sentences itself ("%(max)d"); the catalogue's ngettext must
    hand them over untouched (flask_babel's raised KeyError: a 500 on the form)."""
    from wtforms import StringField
    from wtforms.validators import Length

    from app.admin.form_messages import Form

    class Short(Form):
        class Meta:
            csrf = False

        name = StringField(validators=[Length(max=3)])

    with app.test_request_context(method="POST", data={"name": "xxxx"}):
        form = Short()
        assert not form.validate()
        assert form.name.errors == ["Field cannot be longer than 3 characters."]


def test_invisible_control_characters_in_a_form_are_dropped_not_the_whole_form(app, admin):
    # A printer command (ESC p kicks a cash drawer) and a text-direction override, pasted in
    # with the text: the form is saved as it looked, without them, instead of being lost.
    done = admin.post(
        "/admin/kupang/settings", {**SETTINGS, "announcement": "Buka \x1bp0 \u202epukul 8\x07"}
    )
    assert done.status_code == 302
    assert office(app).announcement == "Buka p0 pukul 8"
    # A field that must be exactly as typed (the guest network's name) is still refused, on the
    # form beside the field: the rest of what was typed stays there to send again.
    refused = admin.post(
        "/admin/kupang/settings",
        {**SETTINGS, "announcement": "Sabtu tutup", "wifi_ssid": "Tamu\x1b"},
    )
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "The network name may not contain control characters" in page
    assert "Sabtu tutup</textarea>" in page  # the announcement as typed
    assert office(app).wifi_ssid == "" and office(app).announcement == "Buka p0 pukul 8"


def test_line_breaks_copied_from_a_slide_are_kept_as_line_breaks_not_refused(app, admin, api):
    # PowerPoint's soft line break is a vertical tab; Word's page break a form feed.
    ticker = "Sabtu buka\x0bpukul 08.00\u2028Bawa KK\x0cdan KTP lama"
    done = admin.post("/admin/kupang/settings", {**SETTINGS, "announcement": ticker})
    assert done.status_code == 302
    assert office(app).announcement == "Sabtu buka\npukul 08.00\nBawa KK\ndan KTP lama"
    # The API is not softened.
    ticket = api.issue("A")
    answer = api.move(ticket["id"], "cancel", as_="operator", json={"note": "salah\x0bketik"})
    assert answer.status_code == 422
