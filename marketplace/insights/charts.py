"""Server-rendered inline SVG charts for /statistik: bars, columns, lines and a map of Sweden's counties.

Every chart is an <svg role="img"> named by its own <title> and <desc>, and every bar, column
and county carries its number as text, so nothing depends on colour alone; the page puts the
same numbers in a table after each chart. Colours are presentation attributes (no style=""),
so the strict CSP allows them. No scripts, no fonts, nothing fetched at runtime.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import url_for
from flask_babel import format_date, format_decimal, ngettext
from flask_babel import gettext as _
from markupsafe import Markup, escape

from marketplace import reference
from marketplace.insights import labels
from marketplace.insights.models import CollaborationForm
from marketplace.insights.statistics import NO_COLLABORATION, Statistics

INK = "#1b1f23"
MUTED = "#4a5560"
GRID = "#c9d2d9"
NEED_COLOUR = "#0b4f71"  # 8.9:1 on white
OFFER_COLOUR = "#b3541e"  # 4.9:1 on white
GREEN = "#1d6b3a"  # 6.6:1 on white
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"

# Sequential blues for the map, lightest (no ads) to darkest, each with the text colour that
# keeps its labels at 4.5:1 or more (tests/test_insights_statistics.py checks the ratios).
SHADES: list[tuple[str, str]] = [
    ("#f3f6f8", INK),
    ("#d6e6f2", INK),
    ("#9ecae1", INK),
    ("#1f6aa5", "#ffffff"),
    ("#0b3d66", "#ffffff"),
]

# Sweden's counties as simplified outlines, built by scripts/build_county_map.py from Natural
# Earth's admin-1 data (docs/county-map.md): per SCB county code an SVG path, in kilometres of a
# transverse Mercator around 15° E, and a point inside the county for its label.
COUNTY_SHAPES = Path(__file__).with_name("county_shapes.json")


@functools.cache
def county_shapes() -> dict:
    return json.loads(COUNTY_SHAPES.read_text("utf-8"))


@dataclass
class Series:
    label: str  # legend text and table header
    values: list[int]
    colour: str
    word: str = ""  # after a bar's number ("3 söker"), so bars read without the legend
    marker: str = "circle"  # line charts: circle, square or triangle
    dash: str = ""  # line charts: stroke-dasharray


def _n(value: int | float) -> str:
    return format_decimal(value)


def _attrs(**attributes: object) -> Markup:
    """SVG attributes, escaped; underscores become dashes (text_anchor -> text-anchor)."""
    parts = [
        Markup('{}="{}"').format(name.rstrip("_").replace("_", "-"), value)
        for name, value in attributes.items()
        if value is not None and value != ""
    ]
    return Markup(" ").join(parts)


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, content: str, **attributes: object) -> Markup:
    return Markup("<text {}>{}</text>").format(_attrs(x=_num(x), y=_num(y), **attributes), content)


def _svg_open(
    chart_id: str, width: int, height: int, title: str, desc: str, role: str = "img"
) -> Markup:
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" {}>'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>'
    ).format(
        _attrs(
            viewBox=f"0 0 {width} {height}",
            class_="chart",
            role=role,
            aria_labelledby=f"{chart_id}-title {chart_id}-desc",
            font_family=FONT,
            font_size="13",
            fill=INK,
        ),
        chart_id,
        title,
        chart_id,
        desc,
    )


def _legend(series: list[Series], x: float, y: float, lines: bool = False) -> Markup:
    """Swatch (or line sample with its marker) and label for each series, in one row."""
    parts = []
    for item in series:
        if lines:
            parts.append(
                Markup("<line {}/>").format(
                    _attrs(
                        x1=_num(x),
                        y1=_num(y - 4),
                        x2=_num(x + 26),
                        y2=_num(y - 4),
                        stroke=item.colour,
                        stroke_width="2.5",
                        stroke_dasharray=item.dash,
                    )
                )
            )
            parts.append(_marker(item, x + 13, y - 4))
            offset = 32
        else:
            parts.append(
                Markup("<rect {}/>").format(
                    _attrs(x=_num(x), y=_num(y - 11), width="14", height="14", fill=item.colour)
                )
            )
            offset = 20
        parts.append(_text(x + offset, y, escape(item.label)))
        x += offset + 7.5 * len(item.label) + 24
    return Markup("").join(parts)


def _nice_max(value: int) -> tuple[int, int]:
    """A round axis maximum at or above `value`, and its tick step (at most six steps)."""
    if value <= 4:
        return 4, 1
    magnitude = 10 ** math.floor(math.log10(value / 5))
    for factor in (1, 2, 5, 10):
        step = factor * magnitude
        if math.ceil(value / step) <= 6:
            return math.ceil(value / step) * step, step
    return 10 * magnitude * 6, 10 * magnitude  # not reached: factor 10 always fits


def bar_chart(
    chart_id: str, title: str, desc: str, categories: list[str], series: list[Series]
) -> Markup:
    """Horizontal bars, grouped per category, each with its number (and word) at its end."""
    width, label_w, value_w = 780, 300, 120
    bar_h, bar_gap, group_gap = 16, 3, 14
    top = 34 if len(series) > 1 else 8
    plot_w = width - label_w - value_w
    group_h = len(series) * bar_h + (len(series) - 1) * bar_gap
    height = top + len(categories) * (group_h + group_gap) + 4
    maximum = max([value for item in series for value in item.values] + [1])
    parts = [_svg_open(chart_id, width, height, title, desc)]
    if len(series) > 1:
        parts.append(_legend(series, label_w, 18))
    y = top
    for index, category in enumerate(categories):
        parts.append(
            _text(label_w - 10, y + group_h / 2 + 4.5, escape(category), text_anchor="end")
        )
        for position, item in enumerate(series):
            value = item.values[index]
            bar_y = y + position * (bar_h + bar_gap)
            bar_w = value / maximum * plot_w if value else 0
            if value:
                parts.append(
                    Markup("<rect {}/>").format(
                        _attrs(
                            x=label_w,
                            y=_num(bar_y),
                            width=_num(max(bar_w, 2)),
                            height=bar_h,
                            fill=item.colour,
                        )
                    )
                )
            words = f"{_n(value)} {item.word}".strip()
            parts.append(_text(label_w + bar_w + 6, bar_y + 12.5, escape(words), font_size="12.5"))
        y += group_h + group_gap
    parts.append(
        Markup("<line {}/>").format(
            _attrs(x1=label_w, y1=top - 4, x2=label_w, y2=_num(y - group_gap + 4), stroke=MUTED)
        )
    )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def _month_ticks(months: list[date], x_of, baseline: float) -> Markup:
    """Month names under the axis; the year under January and under the first month."""
    parts = []
    every = 1 if len(months) <= 12 else 2
    for index, month in enumerate(months):
        if index % every and index != len(months) - 1:
            continue
        x = x_of(index)
        parts.append(
            _text(
                x,
                baseline + 18,
                escape(format_date(month, "LLL")),
                text_anchor="middle",
                font_size="12",
            )
        )
        if index == 0 or month.month == 1:
            parts.append(
                _text(
                    x,
                    baseline + 33,
                    str(month.year),
                    text_anchor="middle",
                    font_size="12",
                    fill=MUTED,
                )
            )
    return Markup("").join(parts)


def _grid(
    left: float, right: float, top: float, baseline: float, axis_max: int, step: int
) -> Markup:
    parts = []
    for tick in range(0, axis_max + 1, step):
        y = baseline - tick / axis_max * (baseline - top)
        parts.append(
            Markup("<line {}/>").format(
                _attrs(
                    x1=_num(left),
                    y1=_num(y),
                    x2=_num(right),
                    y2=_num(y),
                    stroke=GRID if tick else MUTED,
                )
            )
        )
        parts.append(
            _text(left - 6, y + 4, _n(tick), text_anchor="end", font_size="12", fill=MUTED)
        )
    return Markup("").join(parts)


def column_chart(
    chart_id: str, title: str, desc: str, months: list[date], values: list[int], colour: str
) -> Markup:
    """One column per month with its number on top, on a labelled axis."""
    width, height = 780, 300
    left, right, top, baseline = 48, width - 12, 24, height - 48
    axis_max, step = _nice_max(max([*values, 0]))
    band = (right - left) / max(len(months), 1)
    column_w = band * 0.62

    def x_of(index: int) -> float:
        return left + band * index + band / 2

    parts = [
        _svg_open(chart_id, width, height, title, desc),
        _grid(left, right, top, baseline, axis_max, step),
    ]
    for index, value in enumerate(values):
        column_h = value / axis_max * (baseline - top)
        if value:
            parts.append(
                Markup("<rect {}/>").format(
                    _attrs(
                        x=_num(x_of(index) - column_w / 2),
                        y=_num(baseline - column_h),
                        width=_num(column_w),
                        height=_num(column_h),
                        fill=colour,
                    )
                )
            )
        parts.append(
            _text(
                x_of(index),
                baseline - column_h - 5,
                _n(value),
                text_anchor="middle",
                font_size="12",
                font_weight="600",
            )
        )
    parts.append(_month_ticks(months, x_of, baseline))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def _marker(item: Series, x: float, y: float) -> Markup:
    if item.marker == "square":
        return Markup("<rect {}/>").format(
            _attrs(x=_num(x - 4.5), y=_num(y - 4.5), width="9", height="9", fill=item.colour)
        )
    if item.marker == "triangle":
        points = (
            f"{_num(x)},{_num(y - 6)} {_num(x + 5.5)},{_num(y + 4)} {_num(x - 5.5)},{_num(y + 4)}"
        )
        return Markup("<polygon {}/>").format(_attrs(points=points, fill=item.colour))
    return Markup("<circle {}/>").format(_attrs(cx=_num(x), cy=_num(y), r="4.5", fill=item.colour))


def line_chart(
    chart_id: str, title: str, desc: str, months: list[date], series: list[Series]
) -> Markup:
    """Lines over the months, told apart by colour, dash and marker shape, named at their ends."""
    width, height = 780, 320
    left, right, top, baseline = 48, width - 190, 44, height - 48
    axis_max, step = _nice_max(max([v for item in series for v in item.values] + [0]))
    band = (right - left) / max(len(months), 1)

    def x_of(index: int) -> float:
        return left + band * index + band / 2

    def y_of(value: int) -> float:
        return baseline - value / axis_max * (baseline - top)

    parts = [
        _svg_open(chart_id, width, height, title, desc),
        _legend(series, left, 20, lines=True),
        _grid(left, right, top, baseline, axis_max, step),
    ]
    ends = []
    for item in series:
        points = " ".join(f"{_num(x_of(i))},{_num(y_of(v))}" for i, v in enumerate(item.values))
        parts.append(
            Markup("<polyline {}/>").format(
                _attrs(
                    points=points,
                    fill="none",
                    stroke=item.colour,
                    stroke_width="2.5",
                    stroke_dasharray=item.dash,
                    stroke_linejoin="round",
                )
            )
        )
        parts.extend(_marker(item, x_of(i), y_of(v)) for i, v in enumerate(item.values))
        ends.append([y_of(item.values[-1]) + 4, item])
    ends.sort(key=lambda end: end[0])
    for index in range(1, len(ends)):  # keep the end labels from overlapping
        ends[index][0] = max(ends[index][0], ends[index - 1][0] + 15)
    for y, item in ends:
        words = f"{item.label}: {_n(item.values[-1])}"
        parts.append(_text(right + 10, y, escape(words), font_size="12.5", fill=INK))
    parts.append(_month_ticks(months, x_of, baseline))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


# The map


@dataclass
class Shade:
    fill: str
    text: str
    low: int
    high: int


def shades(maximum: int) -> list[Shade]:
    """The map's classes: 0, then four equal steps up to the largest county's count."""
    result = [Shade(SHADES[0][0], SHADES[0][1], 0, 0)]
    step = max(1, math.ceil(maximum / 4))
    for index in range(1, 5):
        low, high = (index - 1) * step + 1, index * step
        if low > max(maximum, 1):
            break
        result.append(Shade(SHADES[index][0], SHADES[index][1], low, high))
    return result


def shade_for(value: int, classes: list[Shade]) -> Shade:
    for shade in classes:
        if shade.low <= value <= shade.high:
            return shade
    return classes[-1]


NUMBER_SIZE = 30  # map units (km); the map is drawn about 0.5 px per km on a phone
NAME_SIZE = 24


def _name_lines(name: str, room: float) -> list[str]:
    """The county's name in one or two lines if it fits inside the county, else none.

    room is the label point's distance to the county's edge; a line of text about half a font
    size wide per letter must stay inside that circle (1.8 rather than 2 radii: a line above or
    below the centre meets the circle earlier).
    """
    for lines in ([name], name.split(" ", 1)):
        widest = max(len(line) for line in lines) * NAME_SIZE * 0.55
        if widest <= 1.8 * room and room >= NAME_SIZE * (len(lines) + 1) * 0.75:
            return lines
    return []


def _county_labels(shape: dict, name: str, number: str, shade: Shade) -> Markup:
    """What a county shows: its name (if it fits) over its number, inside it; or, for a small
    county on the coast, both out at sea at its callout point, joined to it by a line."""
    x, y = shape["label"]
    if "callout" in shape:
        callout_x, callout_y = shape["callout"]
        return Markup(" ").join(
            [
                Markup("<circle {}/>").format(
                    _attrs(cx=_num(x), cy=_num(y), r="5", fill=INK, stroke="#ffffff")
                ),
                # A white casing under the line keeps it visible across the darkest shade.
                *(
                    Markup("<line {}/>").format(
                        _attrs(
                            x1=_num(x),
                            y1=_num(y),
                            x2=_num(callout_x - 6),
                            y2=_num(callout_y),
                            stroke=colour,
                            stroke_width=width,
                        )
                    )
                    for colour, width in (("#ffffff", "4"), (INK, "1.5"))
                ),
                _text(callout_x, callout_y - 4, escape(name), font_size=str(NAME_SIZE), fill=INK),
                _text(
                    callout_x,
                    callout_y + NUMBER_SIZE * 0.9,
                    number,
                    font_size=str(NUMBER_SIZE),
                    font_weight="700",
                    fill=INK,
                ),
            ]
        )
    lines = _name_lines(name, shape["room"])
    # The name above the number, the pair centred on the label point.
    top = y - (len(lines) * NAME_SIZE * 1.05 + NUMBER_SIZE * 0.75) / 2 + NAME_SIZE * 0.8
    texts = [
        _text(
            x,
            top + index * NAME_SIZE * 1.05,
            escape(line),
            text_anchor="middle",
            font_size=str(NAME_SIZE),
            fill=shade.text,
        )
        for index, line in enumerate(lines)
    ]
    number_y = (
        top + len(lines) * NAME_SIZE * 1.05 + NUMBER_SIZE * 0.05
        if lines
        else y + NUMBER_SIZE * 0.35
    )
    texts.append(
        _text(
            x,
            number_y,
            number,
            text_anchor="middle",
            font_size=str(NUMBER_SIZE),
            font_weight="700",
            fill=shade.text,
        )
    )
    # Spaces between the texts: the link's visible text reads "Västra Götaland 8", which its
    # accessible name must contain (WCAG 2.5.3), not "VästraGötaland8".
    return Markup(" ").join(texts)


def county_map(
    chart_id: str, title: str, desc: str, counts: dict[str, int], selected: str | None = None
) -> Markup:
    """Sweden's 21 counties as outlines, shaded by `counts`; each county links to /lan/<code>.

    Not role="img": the counties are links, which an image role would hide. The SVG is a named
    group, and each link is named by its county and number. Every county shows its number;
    its name too where there is room (the table beside the map names them all).
    """
    shapes = county_shapes()
    classes = shades(max(counts.values(), default=0))
    parts = [_svg_open(chart_id, shapes["width"], shapes["height"], title, desc, role="group")]
    for code, county in reference.counties().items():
        shape = shapes["counties"][code]
        value = counts.get(code, 0)
        shade = shade_for(value, classes)
        name = ngettext(
            "%(county)s: %(num)s öppet behov eller erbjudande",
            "%(county)s: %(num)s öppna behov och erbjudanden",
            value,
            county=county.name,
        )
        # The link's name starts with what the map shows ("Kalmar 14"), as WCAG 2.5.3 asks.
        link_name = ngettext(
            "%(county)s: %(num)s öppet behov eller erbjudande",
            "%(county)s: %(num)s öppna behov och erbjudanden",
            value,
            county=county.name_short,
        )
        chosen = code == selected
        texts = _county_labels(shape, county.name_short, _n(value), shade)
        parts.append(
            Markup("<a {}><path {}><title>{}</title></path>{}</a>").format(
                _attrs(
                    href=url_for("pages.county", code=code),
                    aria_label=link_name,
                    class_="county" + (" county-selected" if chosen else ""),
                    aria_current="true" if chosen else None,
                ),
                _attrs(
                    d=shape["d"],
                    fill=shade.fill,
                    stroke=INK if chosen else MUTED,
                    stroke_width="3" if chosen else "1",
                    stroke_linejoin="round",
                    data_county=code,
                ),
                name,
                Markup('<g aria-hidden="true">{}</g>').format(texts),
            )
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


# The charts of /statistik, built from its figures


def challenge_chart(stats: Statistics) -> Markup:
    slugs = list(reference.challenges())
    names = [challenge.name for challenge in reference.challenges().values()]
    needs = [stats.open_by_challenge.get(slug, {}).get("need", 0) for slug in slugs]
    offers = [stats.open_by_challenge.get(slug, {}).get("offer", 0) for slug in slugs]
    return bar_chart(
        "chart-challenges",
        _("Öppna behov och erbjudanden per samhällsutmaning"),
        _(
            "Stapeldiagram. För varje samhällsutmaning två staplar: öppna behov (söker) och "
            "öppna erbjudanden. Totalt %(needs)s behov och %(offers)s erbjudanden. Siffrorna "
            "finns också i tabellen efter diagrammet.",
            needs=_n(stats.open_total("need")),
            offers=_n(stats.open_total("offer")),
        ),
        names,
        [
            Series(_("Söker"), needs, NEED_COLOUR, word=_("söker")),
            Series(_("Erbjuder"), offers, OFFER_COLOUR, word=_("erbjuder")),
        ],
    )


def map_of_counties(stats: Statistics) -> Markup:
    counts = {code: stats.county_total(code) for code in reference.counties()}
    busiest = max(counts, key=lambda code: (counts[code], -int(code)))
    return county_map(
        "chart-map",
        _("Karta: öppna behov och erbjudanden per län"),
        _(
            "Karta över Sveriges 21 län, norr överst. Ju mörkare län, desto fler öppna behov "
            "och erbjudanden; antalet står i länet eller, för små län vid kusten, ute i havet. "
            "Flest har %(county)s med %(num)s. Varje län leder till länets sida.",
            county=reference.county_name(busiest),
            num=_n(counts[busiest]),
        ),
        counts,
        selected=stats.filters.county,
    )


def map_legend(stats: Statistics) -> list[Shade]:
    return shades(max((stats.county_total(code) for code in reference.counties()), default=0))


def published_chart(stats: Statistics) -> Markup:
    values = [stats.published(key) for key in stats.month_keys]
    return column_chart(
        "chart-published",
        _("Nya annonser per månad"),
        _(
            "Stapeldiagram med en stapel per månad från %(start)s till %(end)s: antal publicerade "
            "annonser (behov, erbjudanden och idéer), totalt %(total)s. Siffrorna finns också i "
            "tabellen efter diagrammet.",
            start=format_date(stats.months[0], "LLLL yyyy"),
            end=format_date(stats.months[-1], "LLLL yyyy"),
            total=_n(stats.published_total),
        ),
        stats.months,
        values,
        NEED_COLOUR,
    )


def activity_chart(stats: Statistics) -> Markup:
    keys = stats.month_keys
    return line_chart(
        "chart-activity",
        _("Matchningar, kontakter och resultat per månad"),
        _(
            "Linjediagram med tre linjer per månad från %(start)s till %(end)s: föreslagna "
            "matchningar (totalt %(matches)s), kontakter mellan organisationer (%(contacts)s) och "
            "rapporterade resultat (%(outcomes)s). Siffrorna finns också i tabellen efter diagrammet.",
            start=format_date(stats.months[0], "LLLL yyyy"),
            end=format_date(stats.months[-1], "LLLL yyyy"),
            matches=_n(stats.matches_total),
            contacts=_n(stats.contacts_total),
            outcomes=_n(sum(stats.outcomes_by_month.values())),
        ),
        stats.months,
        [
            Series(
                _("Matchningar"),
                [stats.matches_by_month.get(k, 0) for k in keys],
                NEED_COLOUR,
                marker="circle",
            ),
            Series(
                _("Kontakter"),
                [stats.contacts_by_month.get(k, 0) for k in keys],
                OFFER_COLOUR,
                marker="square",
                dash="7 4",
            ),
            Series(
                _("Resultat"),
                [stats.outcomes_by_month.get(k, 0) for k in keys],
                GREEN,
                marker="triangle",
                dash="2 3",
            ),
        ],
    )


def outcome_rows(stats: Statistics) -> list[tuple[str, str, int]]:
    """(key, label, count) per collaboration form, then "did not lead to collaboration"."""
    rows = [
        (form.value, labels.form_label(form), stats.outcomes_by_form.get(form.value, 0))
        for form in CollaborationForm
    ]
    rows.append(
        (
            NO_COLLABORATION,
            str(labels.NO_COLLABORATION_LABEL),
            stats.outcomes_by_form.get(NO_COLLABORATION, 0),
        )
    )
    return rows


def outcome_chart(stats: Statistics) -> Markup:
    rows = outcome_rows(stats)
    return bar_chart(
        "chart-outcomes",
        _("Rapporterade resultat per samverkansform"),
        _(
            "Stapeldiagram med en stapel per samverkansform och en för annonser som inte ledde "
            "till samverkan. %(total)s rapporterade resultat, varav %(collaborations)s ledde till "
            "samverkan. Siffrorna finns också i tabellen efter diagrammet.",
            total=_n(stats.outcomes_total),
            collaborations=_n(stats.collaborations_total),
        ),
        [label for _key, label, _count in rows],
        [Series(_("Resultat"), [count for _key, _label, count in rows], GREEN)],
    )
