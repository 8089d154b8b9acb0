"""The printable A4 poster of an office, ``/book/{office}/poster.pdf``, for the notice board.

One page, readable from two metres: the office's name and address, its weekly hours, the
special days of the next 60 days, the services with what to bring, and a large QR code to the
office's public page with its link printed under it (and where numbers can be booked ahead, when
a service takes bookings). Made on the server with reportlab, in the reader's language.

What the administrator typed (name, address, notes, what to bring) goes in as plain text:
control characters are stripped and markup is escaped. Long texts wrap; long lists first shrink,
then are cut with "…", so the poster always stays one page. Nothing personal is on it."""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote
from xml.sax.saxutils import escape

import qrcode
from babel.dates import format_date, get_day_names
from flask_babel import gettext
from reportlab.lib.colors import Color, HexColor, white
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle
from werkzeug.wrappers import Response

from .. import domain
from ..domain.clock import local_day, tz_label
from ..domain.schedule import Calendar, load_calendar
from ..extensions import db
from ..i18n import in_english, local_name
from ..models import Office, Service
from ..public_url import public_base

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
SPECIAL_DAYS_AHEAD = 60
# What the forms allow; longer text (written some other way) is cut, so the page stays one page.
MAX_NAME, MAX_ADDRESS, MAX_NOTE, MAX_BRING = 120, 300, 200, 400

PAGE_W, PAGE_H = A4
MARGIN = 34.0
WIDTH = PAGE_W - 2 * MARGIN
QR_SIZE = 190.0  # points: the code itself 6.7 cm wide, its white border round it
MIN_SCALE = 0.6

NAVY = HexColor("#0b3a66")
GOLD = HexColor("#e0a526")
INK = HexColor("#1b1f24")
GREY = HexColor("#4a5360")
PALE = HexColor("#d7e3f0")
RULE = HexColor("#b8c4d2")


@lru_cache(maxsize=1)
def fonts() -> tuple[str, str]:
    """The regular and bold font: DejaVu Sans (every Indonesian and most other letters), or the
    PDF's built-in Helvetica where it is not installed."""
    try:
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(FONT_DIR / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(FONT_DIR / "DejaVuSans-Bold.ttf")))
    except (OSError, TTFError):
        return "Helvetica", "Helvetica-Bold"
    pdfmetrics.registerFontFamily(
        "DejaVuSans",
        normal="DejaVuSans",
        bold="DejaVuSans-Bold",
        italic="DejaVuSans",
        boldItalic="DejaVuSans-Bold",
    )
    return "DejaVuSans", "DejaVuSans-Bold"


_SPACES = re.compile(r"\s+")


def plain(text: str | None, limit: int | None = None) -> str:
    """Typed text as one clean line: line breaks and tabs become spaces, other control and
    format characters go, spaces collapse; past ``limit`` characters it ends in "…"."""
    kept = []
    for ch in text or "":
        if ch.isspace():
            kept.append(" ")
        elif unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co"):
            kept.append(ch)
    line = _SPACES.sub(" ", "".join(kept)).strip()
    if limit is not None and len(line) > limit:
        line = line[: limit - 1].rstrip() + "\u2026"
    return line


def markup(text: str) -> str:
    """Plain text made safe inside a Paragraph (which reads its own markup)."""
    return escape(text)


def _locale() -> str:
    return "en" if in_english() else "id"


def _clock(moment: time) -> str:
    return moment.strftime("%H:%M" if in_english() else "%H.%M")


def _span(opens: time, closes: time, zone: str) -> str:
    return f"{_clock(opens)}\u2013{_clock(closes)} {zone}"


def _service_name(service: Service) -> str:
    return local_name(service.name, service.name_en)


@dataclass
class Item:
    """One service or one special day."""

    title: str
    text: str = ""
    code: str = ""
    colour: str = ""


@dataclass
class Poster:
    """What the poster says, in the reader's language, every text plain."""

    name: str
    address: str
    hours: list[tuple[str, str]]
    hours_note: str
    special: list[Item]
    services: list[Item]
    page_link: str
    booking_link: str | None
    printed: str
    cut: dict[str, int] = field(default_factory=dict)


def weekly_hours(calendar: Calendar, zone: str) -> list[tuple[str, str]]:
    """The week in rows of consecutive days with the same hours: ("Senin–Jumat",
    "08.00–16.00 WITA"), ("Sabtu–Minggu", "Tutup")."""
    names = get_day_names("wide", locale=_locale())
    spans: list[str] = []
    for weekday in range(7):
        row = calendar.hours.get(weekday)
        if row is not None and row.opens < row.closes:
            spans.append(_span(row.opens, row.closes, zone))
        else:
            spans.append(gettext("closed").capitalize())
    rows, first = [], 0
    for weekday in range(1, 8):
        if weekday == 7 or spans[weekday] != spans[first]:
            last = weekday - 1
            days = names[first] if first == last else f"{names[first]}\u2013{names[last]}"
            rows.append((days, spans[first]))
            first = weekday
    return rows


def special_days(calendar: Calendar, today: date, zone: str) -> list[Item]:
    """The special days from today to 60 days ahead: their hours (or closed) and note."""
    found = []
    for day, row in sorted(calendar.special.items()):
        if not today <= day <= today + timedelta(days=SPECIAL_DAYS_AHEAD):
            continue
        window = calendar.window(day)
        if not row.is_open:
            hours = gettext("closed")
        elif window is not None:
            hours = _span(window.opens.time(), window.closes.time(), zone)
        else:
            hours = gettext("open")
        note = plain(row.note, MAX_NOTE)
        found.append(
            Item(
                title=format_date(day, "EEEE, d MMMM", locale=_locale()),
                text=f"{hours} \u2014 {note}" if note else hours,
            )
        )
    return found


def collect(office: Office, now: datetime) -> Poster:
    calendar = load_calendar(db.session, office, now)
    zone = tz_label(office.timezone, now)
    today = local_day(now, office.timezone)
    hours = weekly_hours(calendar, zone)
    if office.always_open and not office.hours:
        hours = [("", gettext("Open at any hour"))]
    hours_note = ""
    if office.cutoff_time is not None and not office.always_open:
        hours_note = gettext(
            "Queue numbers are given out until %(time)s.",
            time=f"{_clock(office.cutoff_time)} {zone}",
        )
    services = [
        Item(
            title=plain(_service_name(s), MAX_NAME),
            text=plain(s.bring, MAX_BRING),
            code=plain(s.code, 1),
            colour=s.colour if re.fullmatch(r"#[0-9A-Fa-f]{6}", s.colour or "") else "#0b3a66",
        )
        for s in office.services
        if s.active
    ]
    base = public_base()
    slug = quote(office.slug, safe="")
    bookable = domain.booking.bookable_services(db.session, office)
    return Poster(
        name=plain(office.name, MAX_NAME),
        address=plain(office.address, MAX_ADDRESS),
        hours=hours,
        hours_note=hours_note,
        special=special_days(calendar, today, zone),
        services=services,
        page_link=f"{base}/?office={slug}",
        booking_link=f"{base}/book/{slug}" if bookable else None,
        printed=format_date(today, "d MMMM y", locale=_locale()),
    )


# --- Layout ---------------------------------------------------------------------------------


class Styles:
    """The poster's type, at ``scale`` of its full size (1 = the largest)."""

    def __init__(self, scale: float) -> None:
        regular, bold = fonts()

        def style(name: str, size: float, font: str = regular, **kw: object) -> ParagraphStyle:
            settings: dict = {"leading": size * 1.22, "textColor": INK, **kw}
            return ParagraphStyle(name, fontName=font, fontSize=size, **settings)

        s = scale
        self.scale = s
        self.kicker = style("kicker", 13 * max(s, 0.85), bold, textColor=GOLD)
        big = 34 * max(s, 0.82)  # the name shrinks least
        self.title = style("title", big, bold, textColor=white, leading=big * 1.12)
        self.address = style("address", 16 * s, textColor=PALE)
        self.heading = style("heading", 14 * s, bold, textColor=NAVY)
        self.day = style("day", 21 * s, bold)
        self.hours = style("hours", 21 * s)
        self.note = style("note", 14 * s, textColor=GREY)
        self.item = style("item", 16 * s)
        self.service = style("service", 17 * s, bold)
        self.bring = style("bring", 13 * s, textColor=GREY)
        self.more = style("more", 13 * s, textColor=GREY)


class Rule(Flowable):
    """A thin line across the column."""

    def __init__(self, colour: Color = RULE, thickness: float = 1.0) -> None:
        super().__init__()
        self.colour, self.thickness = colour, thickness

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        return available_width, self.thickness

    def draw(self) -> None:
        self.canv.setStrokeColor(self.colour)
        self.canv.setLineWidth(self.thickness)
        self.canv.line(0, self.thickness / 2, self.width, self.thickness / 2)


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text (escaped here)."""
    return Paragraph(markup(text), style)


def _height(flowables: list[Flowable], width: float) -> float:
    return sum(f.wrap(width, PAGE_H)[1] for f in flowables)


def _stack(canvas: Canvas, flowables: list[Flowable], x: float, top: float, width: float) -> float:
    """Draw ``flowables`` one under the other from ``top``; returns where they end."""
    y = top
    for flowable in flowables:
        _, height = flowable.wrap(width, PAGE_H)
        flowable.drawOn(canvas, x, y - height)
        y -= height
    return y


def _lines(paragraph: Paragraph, width: float) -> list:
    paragraph.wrap(width, PAGE_H)
    return paragraph.blPara.lines


def _section(title: str, st: Styles) -> list[Flowable]:
    return [
        Spacer(0, 10 * st.scale),
        _p(title.upper(), st.heading),
        Spacer(0, 2),
        Rule(NAVY, 1.2),
        Spacer(0, 6 * st.scale),
    ]


def _more(count: int, st: Styles) -> Paragraph:
    return _p("\u2026 " + gettext("and %(n)s more", n=count), st.more)


def header(poster: Poster, st: Styles, width: float) -> list[Flowable]:
    """The kicker, the office's name (smaller when it would take more than three lines) and its
    address."""
    title = _p(poster.name, st.title)
    size = st.title.fontSize
    while size > 20 and len(_lines(title, width)) > 3:
        size -= 2
        smaller = ParagraphStyle("title-smaller", parent=st.title, fontSize=size)
        smaller.leading = size * 1.12
        title = _p(poster.name, smaller)
    parts: list[Flowable] = [
        _p(gettext("Opening hours and queue").upper(), st.kicker),
        Spacer(0, 6),
        title,
    ]
    if poster.address:
        parts += [Spacer(0, 6 * st.scale), _p(poster.address, st.address)]
    return parts


def body(poster: Poster, st: Styles) -> list[Flowable]:
    parts = _section(gettext("Opening hours"), st)
    if poster.hours:
        table = Table(
            [[_p(days, st.day), _p(span, st.hours)] for days, span in poster.hours],
            colWidths=[WIDTH * 0.36, WIDTH * 0.64],
        )
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 6),
                    ("TOPPADDING", (0, 0), (-1, -1), 1.5 * st.scale),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5 * st.scale),
                ]
            )
        )
        parts.append(table)
    if poster.hours_note:
        parts += [Spacer(0, 4), _p(poster.hours_note, st.note)]
    if poster.special or poster.cut.get("special"):
        parts += _section(gettext("Special days in the next 60 days"), st)
        for item in poster.special:
            parts.append(Paragraph(f"<b>{markup(item.title)}</b>: {markup(item.text)}", st.item))
            parts.append(Spacer(0, 3 * st.scale))
        if poster.cut.get("special"):
            parts.append(_more(poster.cut["special"], st))
    if poster.services or poster.cut.get("services"):
        parts += _section(gettext("Services"), st)
        for item in poster.services:
            parts.append(_service_row(item, st))
            parts.append(Spacer(0, 5 * st.scale))
        if poster.cut.get("services"):
            parts.append(_more(poster.cut["services"], st))
    return parts


class Badge(Flowable):
    """The service's letter on its colour, as on the kiosk's buttons and the tickets."""

    def __init__(self, letter: str, colour: str, size: float) -> None:
        super().__init__()
        self.letter, self.colour, self.size = letter, HexColor(colour), size

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.size, self.size

    def draw(self) -> None:
        c = self.colour
        dark = 0.299 * c.red + 0.587 * c.green + 0.114 * c.blue < 0.6
        self.canv.setFillColor(c)
        self.canv.setStrokeColor(RULE)  # a light colour needs an edge on white paper
        self.canv.setLineWidth(0.8)
        self.canv.roundRect(
            0, 0, self.size, self.size, self.size * 0.14, stroke=0 if dark else 1, fill=1
        )
        self.canv.setFillColor(white if dark else INK)
        font = fonts()[1]
        height = self.size * 0.62
        self.canv.setFont(font, height)
        self.canv.drawCentredString(self.size / 2, (self.size - height * 0.72) / 2, self.letter)


def _service_row(item: Item, st: Styles) -> Table:
    """The service's letter, its name and what to bring."""
    badge = 27 * st.scale
    text: list[Flowable] = [_p(item.title, st.service)]
    if item.text:
        text.append(Paragraph(f"{markup(gettext('Bring'))}: {markup(item.text)}", st.bring))
    table = Table([[Badge(item.code, item.colour, badge), text]], colWidths=[badge, WIDTH - badge])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
                ("LEFTPADDING", (1, 0), (1, 0), 12),
                ("TOPPADDING", (1, 0), (1, 0), 1.5 * st.scale),
            ]
        )
    )
    return table


QR_BORDER = 3  # modules of white round the code (the page round it is white too)


def qr_matrix(link: str) -> list[list[bool]]:
    """The QR code of ``link`` (medium error correction), its white border included."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=QR_BORDER)
    code.add_data(link)
    code.make(fit=True)
    return code.get_matrix()


def draw_qr(canvas: Canvas, matrix: list[list[bool]], x: float, y: float, size: float) -> None:
    """The QR code as vector squares (rows of dark modules joined), in ``size`` at (x, y)."""
    module = size / len(matrix)
    canvas.setFillColor(white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColor(INK)
    for row, cells in enumerate(matrix):
        top = y + size - (row + 1) * module
        col = 0
        while col < len(cells):
            if not cells[col]:
                col += 1
                continue
            run = col
            while run < len(cells) and cells[run]:
                run += 1
            # A hair larger than the run, so that neighbouring squares print without seams.
            canvas.rect(
                x + col * module, top, (run - col) * module + 0.15, module + 0.15, stroke=0, fill=1
            )
            col = run


class Footer:
    """The QR code with its link under it; beside it what it is for, booking ahead, the date."""

    def __init__(self, poster: Poster) -> None:
        regular, bold = fonts()
        self.poster = poster
        self.matrix = qr_matrix(poster.page_link)
        # The code itself lines up with the text's left edge; its white border lies outside.
        self.module = QR_SIZE / (len(self.matrix) - 2 * QR_BORDER)
        self.border = QR_BORDER * self.module
        self.link_width = QR_SIZE + 2 * self.border
        # The link on one line when it fits at 9 points or more; else it wraps.
        link_size = 12.0
        while link_size > 9 and stringWidth(poster.page_link, bold, link_size) > self.link_width:
            link_size -= 0.5
        self.link = ParagraphStyle(
            "link",
            fontName=bold,
            fontSize=link_size,
            leading=link_size * 1.25,
            textColor=NAVY,
            alignment=TA_CENTER,
        )
        self.lead = ParagraphStyle("lead", fontName=bold, fontSize=17, leading=21, textColor=NAVY)
        self.text = ParagraphStyle(
            "text", fontName=regular, fontSize=13, leading=16.5, textColor=INK
        )
        self.strong = ParagraphStyle(
            "strong", fontName=bold, fontSize=13, leading=16.5, textColor=NAVY
        )
        self.small = ParagraphStyle(
            "small", fontName=regular, fontSize=9.5, leading=12, textColor=GREY
        )
        self.side_x = MARGIN + QR_SIZE + 2 * self.border
        self.side_width = PAGE_W - MARGIN - self.side_x
        self.link_flow = [_p(poster.page_link, self.link)]
        self.side = [
            _p(gettext("Scan the code with your phone to see the queue now."), self.lead),
            Spacer(0, 6),
            _p(
                gettext("It shows how many people are waiting and the estimated wait, live."),
                self.text,
            ),
        ]
        if poster.booking_link:
            self.side += [
                Spacer(0, 11),
                _p(gettext("You can book a queue number ahead:"), self.text),
                Spacer(0, 2),
                _p(poster.booking_link, self.strong),
                Spacer(0, 11),
                _p(gettext("No booking? Take a number at the kiosk when you arrive."), self.text),
            ]
        else:
            self.side += [
                Spacer(0, 11),
                _p(gettext("Take a queue number at the kiosk when you arrive."), self.text),
            ]
        self.printed = [_p(gettext("Printed on %(day)s.", day=poster.printed), self.small)]

    def height(self) -> float:
        left = QR_SIZE + 2 * self.border + 2 + _height(self.link_flow, self.link_width)
        right = (
            self.border + _height(self.side, self.side_width) + 12 + _height(self.printed, WIDTH)
        )
        return max(left, right)

    def draw(self, canvas: Canvas) -> float:
        """Draw at the foot of the page; returns the top of the footer."""
        top = MARGIN + self.height()
        draw_qr(
            canvas,
            self.matrix,
            MARGIN - self.border,
            top - QR_SIZE - 2 * self.border,
            QR_SIZE + 2 * self.border,
        )
        link_x = MARGIN - self.border
        _stack(canvas, self.link_flow, link_x, top - QR_SIZE - 2 * self.border - 2, self.link_width)
        _stack(canvas, self.side, self.side_x, top - self.border, self.side_width)
        _stack(canvas, self.printed, self.side_x, MARGIN + _height(self.printed, WIDTH), WIDTH)
        return top


@dataclass
class Layout:
    styles: Styles
    header: list[Flowable]
    header_height: float
    body: list[Flowable]


HEADER_PAD = 20.0
GAP = 14.0


def fit(poster: Poster, footer_height: float) -> Layout:
    """The largest type at which everything fits on the page; at the smallest, the longer of
    the lists is cut (with "… and N more") until it does."""
    inner = WIDTH - 2 * HEADER_PAD
    room = PAGE_H - 2 * MARGIN - footer_height - GAP

    def attempt(scale: float) -> Layout | None:
        st = Styles(scale)
        head = header(poster, st, inner)
        head_h = _height(head, inner) + 2 * HEADER_PAD * max(scale, 0.8) + 6
        parts = body(poster, st)
        if head_h + _height(parts, WIDTH) <= room:
            return Layout(st, head, head_h, parts)
        return None

    scale = 1.0
    while scale >= MIN_SCALE - 1e-9:
        if (found := attempt(scale)) is not None:
            return found
        scale = round(scale - 0.05, 2)
    while poster.special or poster.services:
        longer = "special" if len(poster.special) >= len(poster.services) else "services"
        getattr(poster, longer).pop()
        poster.cut[longer] = poster.cut.get(longer, 0) + 1
        if (found := attempt(MIN_SCALE)) is not None:
            return found
    st = Styles(MIN_SCALE)  # only a header too tall for the page gets here: drawn as it is
    head = header(poster, st, inner)
    return Layout(st, head, _height(head, inner) + 2 * HEADER_PAD * 0.8 + 6, body(poster, st))


def render(poster: Poster) -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, lang="en" if in_english() else "id")
    canvas.setTitle(poster.name)
    canvas.setSubject(gettext("Opening hours and queue"))
    canvas.setCreator("Loket")
    foot = Footer(poster)
    layout = fit(poster, foot.height())
    pad = HEADER_PAD * max(layout.styles.scale, 0.8)

    # The band: the office's name and address, white on navy, a gold line under it.
    band_top = PAGE_H - MARGIN
    band_h = layout.header_height - 6
    canvas.setFillColor(NAVY)
    canvas.roundRect(MARGIN, band_top - band_h, WIDTH, band_h, 6, stroke=0, fill=1)
    canvas.setFillColor(GOLD)
    canvas.rect(MARGIN, band_top - band_h - 6, WIDTH, 4, stroke=0, fill=1)
    _stack(canvas, layout.header, MARGIN + HEADER_PAD, band_top - pad, WIDTH - 2 * HEADER_PAD)

    _stack(canvas, layout.body, MARGIN, band_top - layout.header_height, WIDTH)

    footer_top = foot.draw(canvas)
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(1)
    canvas.line(MARGIN, footer_top + GAP / 2, PAGE_W - MARGIN, footer_top + GAP / 2)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def poster_pdf(slug: str) -> Response:
    """The answer to ``/book/{office}/poster.pdf``: the office's poster for the notice board
    (A4, one page, PDF)."""
    office = domain.office_by_slug(db.session, slug)
    pdf = render(collect(office, domain.utcnow()))
    response = Response(pdf, mimetype="application/pdf")
    filename = re.sub(r"[^A-Za-z0-9_-]", "", office.slug) or "office"
    response.headers["Content-Disposition"] = f'inline; filename="poster-{filename}.pdf"'
    response.headers["Cache-Control"] = "no-cache"
    return response
