"""Render the printable permit (docs/domain.md, "Permit PDF") with ReportLab: header, number, project, type,
validity and hours, the work area, the form in template section order, signatures with name, role and time,
the daily confirmation table, isolations and gas tests, attached files, close-out notes, and a QR code that
opens the public check of the permit."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

FONT_DIR = Path(__file__).parent / "fonts"
TYPE_NAMES = {"HW": "Hot Work", "CSE": "Confined Space Entry", "WAH": "Working at Height", "EW": "Electrical Work"}


@dataclass
class SignatureBlock:
    name: str
    role: str
    signed_at: datetime
    action: str
    png: bytes


@dataclass
class PermitDocument:
    number: str
    title: str
    type: str
    status: str
    project_code: str
    project_name: str
    timezone: str
    valid_from: datetime
    valid_to: datetime
    work_hours: str
    extended_hours: bool
    requester: str
    schema: dict[str, Any]
    form_data: dict[str, Any]
    url: str
    signatures: list[SignatureBlock] = field(default_factory=list)
    days: Sequence[Mapping[str, Any]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)
    closeout_notes: str | None = None
    generated_at: datetime | None = None
    work_area: str | None = None
    isolations: Sequence[Mapping[str, Any]] = field(default_factory=list)  # certificates, as the API shows them
    gas_readings: Sequence[Mapping[str, Any]] = field(default_factory=list)
    people: Mapping[str, Any] = field(default_factory=dict)  # crew, handovers, extensions, fire watch (the API's)


_fonts_ready = False


def _register_fonts() -> None:
    global _fonts_ready
    if _fonts_ready:
        return
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    # DejaVu carries Latin, Greek, Cyrillic and the ballot-box ticks; names print as written.
    pdfmetrics.registerFont(TTFont("DejaVu", str(FONT_DIR / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont("DejaVu-Bold", str(FONT_DIR / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily("DejaVu", normal="DejaVu", bold="DejaVu-Bold")
    _fonts_ready = True


def _value(spec: dict[str, Any], value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    options = {o["value"]: o["label"] for o in spec.get("options", [])}
    if spec["type"] == "checkbox" and options:
        chosen = set(value)
        return "\n".join(("☑ " if o in chosen else "☐ ") + label for o, label in options.items())
    if spec["type"] == "checkbox":
        return "☑ Yes" if value else "☐ No"
    if spec["type"] in ("select", "radio"):
        return str(options.get(value, value))
    if spec["type"] == "multiselect":
        return ", ".join(str(options.get(v, v)) for v in value)
    if spec["type"] == "file-upload":
        return f"{len(value)} file(s) attached"
    if spec["type"] == "number" and spec.get("unit"):
        return f"{value} {spec['unit']}"
    return str(value)


def _local(moment: datetime | None, tz: str) -> str:
    return moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M %Z") if moment else "—"


def _people(doc: PermitDocument, story: list[Any], p: Any, heading: Any, small: Any, grid: Any, width: float) -> None:
    """Crew sign-on (with the confined-space entries), handovers, extensions and the fire watch."""
    from reportlab.lib.units import mm
    from reportlab.platypus import Table

    people = doc.people
    if not people:
        return

    def at(moment: str | None) -> str:
        return _local(datetime.fromisoformat(moment), doc.timezone) if moment else "—"

    def table(rows: list[list[Any]], widths: list[float]) -> None:
        built = Table(rows, colWidths=widths, repeatRows=1)
        built.setStyle(grid)
        story.append(built)

    story.append(p("Crew", heading))
    if people["crew"]:
        rows = [[p("Worker"), p("Role / competency"), p("Signed on"), p("Signed off")]]
        for m in people["crew"]:
            entries = "; ".join(f"in {at(e['enteredAt'])}, out {at(e['exitedAt'])}" for e in m["entries"])
            rows.append([p(f"{m['name']}\n{m['company']}", small),
                         p(m["role"].lower() + (f"\n{m['competencyRef']}" if m["competencyRef"] else "")
                           + (f"\n{entries}" if entries else ""), small),
                         p(f"{at(m['signedOnAt'])}\non {m['signedOnBy']['name'] or '—'}'s device", small),
                         p(at(m["signedOffAt"]), small)])
        table(rows, [45 * mm, width - 125 * mm, 45 * mm, 35 * mm])
    else:
        story.append(p("Nobody signed on.", small))
    if people["handovers"]:
        story.append(p("Handovers", heading))
        rows = [[p("From → to"), p("Note"), p("Asked / accepted / acknowledged"), p("Status")]]
        for h in people["handovers"]:
            rows.append([p(f"{h['fromUser']['name']} → {h['toUser']['name']}", small), p(h["note"], small),
                         p(f"{at(h['requestedAt'])}\n{at(h['acceptedAt'])}\n{at(h['acknowledgedAt'])}"
                           + (f" by {h['acknowledgedBy']['name']}" if h["acknowledgedBy"] else ""), small),
                         p(h["status"].lower(), small)])
        table(rows, [40 * mm, width - 120 * mm, 55 * mm, 25 * mm])
    if people["extensions"]:
        story.append(p("Extensions", heading))
        rows = [[p("Asked"), p("New end"), p("Reason"), p("Decision")]]
        for e in people["extensions"]:
            decision = e["status"].lower().replace("_", " ")
            if e["approvedBy"]:
                decision += f" by {e['issuerApprovedBy']['name']} and {e['approvedBy']['name']}"
            elif e["refusedBy"]:
                decision += f" by {e['refusedBy']['name']}: {e['refusalReason']}"
            rows.append([p(f"{at(e['requestedAt'])}\n{e['requestedBy']['name']}", small),
                         p(f"{at(e['fromValidTo'])} →\n{at(e['newValidTo'])}", small), p(e["reason"], small),
                         p(decision, small)])
        table(rows, [35 * mm, 40 * mm, width - 125 * mm, 50 * mm])
    watch = people.get("fireWatch")
    if people.get("hotWork"):
        story.append(p("Fire watch", heading))
        if watch and watch["startedAt"]:
            cleared = (f"signed clear {at(watch['clearedAt'])}: {watch['clearNote']}" if watch["clearedAt"]
                       else "not signed clear yet")
            story.append(p(f"{watch['watcherName']}" + (f" (competency {watch['competencyRef']})"
                                                        if watch["competencyRef"] else "")
                           + f": {watch['minutes']} minutes, from {at(watch['startedAt'])} to {at(watch['endsAt'])}; "
                           + cleared + ".", small))
        else:
            minutes = watch["minutes"] if watch else doc.schema.get("hotWork", {}).get("fireWatchMinutes", 60)
            story.append(p(f"Hot work: a fire watch of {minutes} minutes keeps the area after the work stops"
                           + ("; it is not named yet." if watch else "."), small))


def render(doc: PermitDocument) -> bytes:
    import segno
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _register_fonts()
    base = ParagraphStyle("base", fontName="DejaVu", fontSize=9, leading=12)
    small = ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5, textColor=colors.HexColor("#555555"))
    heading = ParagraphStyle("heading", parent=base, fontName="DejaVu-Bold", fontSize=12, leading=15,
                             spaceBefore=8, spaceAfter=4)
    number_style = ParagraphStyle("number", parent=base, fontName="DejaVu-Bold", fontSize=20, leading=24,
                                  alignment=TA_CENTER)

    def p(text: str, style: ParagraphStyle = base) -> Paragraph:
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br/>")
        return Paragraph(escaped, style)

    grid = TableStyle([
        ("FONT", (0, 0), (-1, -1), "DejaVu", 8.5),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#F2F2F2")),
    ])
    header_grid = TableStyle([*grid.getCommands(), ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E6E6E6"))])
    width = A4[0] - 30 * mm

    qr = io.BytesIO()
    segno.make(doc.url, error="m").save(qr, kind="png", scale=6, border=2)
    story: list[Any] = []
    head = Table([[
        [p("PERMITTO — PERMIT TO WORK", heading), p(f"{TYPE_NAMES.get(doc.type, doc.type)} permit", base),
         p(f"Status: {doc.status}", base)],
        Image(io.BytesIO(qr.getvalue()), width=30 * mm, height=30 * mm),
    ]], colWidths=[width - 34 * mm, 34 * mm])
    head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story += [head, Spacer(1, 3 * mm), p(doc.number, number_style), p(doc.title, ParagraphStyle(
        "title", parent=base, alignment=TA_CENTER, fontSize=11)), Spacer(1, 4 * mm)]
    facts = [
        ["Project", f"{doc.project_code} — {doc.project_name}"],
        ["Permit type", TYPE_NAMES.get(doc.type, doc.type)],
        ["Work area", doc.work_area or "—"],
        ["Valid from", _local(doc.valid_from, doc.timezone)],
        ["Valid to", _local(doc.valid_to, doc.timezone)],
        ["Daily work hours", doc.work_hours + (" (extended hours)" if doc.extended_hours else "")],
        ["Requested by", doc.requester],
    ]
    table = Table([[p(a), p(b)] for a, b in facts], colWidths=[40 * mm, width - 40 * mm])
    table.setStyle(grid)
    story.append(table)

    for section in doc.schema.get("sections", []):
        rows = [[p(spec["label"]), p(_value(spec, doc.form_data.get(spec["key"])))] for spec in section["fields"]]
        section_table = Table(rows, colWidths=[70 * mm, width - 70 * mm], repeatRows=0)
        section_table.setStyle(grid)
        story += [p(section["title"], heading), section_table]

    story.append(p("Signatures", heading))
    for sig in doc.signatures:
        block = Table([[Image(io.BytesIO(sig.png), width=50 * mm, height=17 * mm, kind="proportional"),
                        [p(sig.name), p(f"{sig.role.title()} — {sig.action.replace('_', ' ')}", small),
                         p(_local(sig.signed_at, doc.timezone), small)]]], colWidths=[55 * mm, width - 55 * mm])
        block.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
                                   ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
        story += [KeepTogether(block), Spacer(1, 2 * mm)]
    if not doc.signatures:
        story.append(p("No signatures yet.", small))

    story.append(p("Daily re-approval", heading))
    if doc.days:
        rows = [[p("Day"), p("Receiver"), p("Issuer"), p("Coordinator")]]
        for day in doc.days:
            cells = [p(day["workDate"])]
            for role in ("receiver", "issuer", "coordinator"):
                entry = day[role]
                cells.append(p(f"{entry['name'] or '—'}\n{_local(datetime.fromisoformat(entry['at']), doc.timezone)}"
                               if entry["at"] else "—"))
            rows.append(cells)
        days_table = Table(rows, colWidths=[25 * mm] + [(width - 25 * mm) / 3] * 3, repeatRows=1)
        days_table.setStyle(header_grid)
        story.append(days_table)
    else:
        story.append(p("No work day has started yet.", small))

    if doc.isolations or doc.schema.get("isolation", {}).get("required"):
        story.append(p("Isolations (lockout / tagout)", heading))
        if not doc.isolations:
            story.append(p("No isolation certificate yet: work may not start.", small))

        def person(who: Mapping[str, Any] | None, at: str | None) -> str:
            if not who or not at:
                return "—"
            return f"{who['name'] or '—'}\n{_local(datetime.fromisoformat(at), doc.timezone)}"

        for cert in doc.isolations:
            approval = f", approved by {person(cert['approvedBy'], cert['approvedAt'])}" if cert["approvedBy"] else ""
            story.append(p(f"{cert['title']} — {cert['status'].replace('_', ' ').lower()}{approval}", small))

            rows = [[p("Point"), p("Energy / method"), p("Lock / tag"), p("Isolated"), p("Verified"), p("Removed")]]
            for point in cert["points"]:
                locks = "".join(f"\n{lk['workerName']}: {lk['lockNumber']}" + (" (off)" if lk["removedAt"] else "")
                                for lk in point["locks"])
                rows.append([p(f"{point['tag']}\n{point['description']}"),
                             p(f"{point['energyType'].lower()}\n{point['method']}", small),
                             p(f"{point['lockNumber'] or '—'} / {point['tagNumber'] or '—'}{locks}", small),
                             p(person(point["isolatedBy"], point["isolatedAt"]), small),
                             p(person(point["verifiedBy"], point["verifiedAt"])
                               + (f"\n{point['verificationNote']}" if point["verificationNote"] else ""), small),
                             p(person(point["removedBy"], point["removedAt"]), small)])
            points_table = Table(rows, colWidths=[32 * mm, 34 * mm, 28 * mm, (width - 94 * mm) / 3,
                                                  (width - 94 * mm) / 3, (width - 94 * mm) / 3], repeatRows=1)
            points_table.setStyle(header_grid)
            story += [points_table, Spacer(1, 2 * mm)]

    if doc.gas_readings or doc.schema.get("gasTests"):
        story.append(p("Gas tests", heading))
        if doc.gas_readings:
            gases = [(g["key"], f"{g['name']} ({g['unit']})") for g in doc.schema.get("gasTests", {}).get("gases", [])]
            rows = [[p("Taken"), p("Tester / instrument")] + [p(label) for _, label in gases] + [p("Result")]]
            for reading in doc.gas_readings:
                values = {v["gas"]: v for v in reading["values"]}
                rows.append([p(_local(datetime.fromisoformat(reading["takenAt"]), doc.timezone), small),
                             p(f"{reading['tester']['name'] or '—'}\n{reading['instrumentId']} (cal. due "
                               f"{reading['calibrationDue']})", small)]
                            + [p(f"{values[key]['value']:g}" + ("" if values[key]["pass"] else " ✗") if key in values
                                 else "—") for key, _ in gases]
                            + [p("pass" if reading["passed"] else "FAIL")])
            first = 28 * mm
            rest = (width - 2 * first - 14 * mm) / max(1, len(gases))
            gas_table = Table(rows, colWidths=[first, first] + [rest] * len(gases) + [14 * mm], repeatRows=1)
            gas_table.setStyle(header_grid)
            story.append(gas_table)
        else:
            story.append(p("No reading yet.", small))

    _people(doc, story, p, heading, small, header_grid, width)

    story.append(p("Attached files", heading))
    if doc.files:
        rows = [[p("File"), p("Type"), p("Size")]] + [
            [p(f["name"]), p(f["contentType"]), p(f"{f['size'] / 1024:.0f} KB")] for f in doc.files]
        files_table = Table(rows, colWidths=[width - 60 * mm, 35 * mm, 25 * mm], repeatRows=1)
        files_table.setStyle(header_grid)
        story.append(files_table)
    else:
        story.append(p("None.", small))
    if doc.closeout_notes:
        story += [p("Close-out", heading), p(doc.closeout_notes)]

    def footer(canvas: Any, template: Any) -> None:
        canvas.saveState()
        canvas.setFont("DejaVu", 7)
        stamp = _local(doc.generated_at, doc.timezone) if doc.generated_at else ""
        canvas.drawString(15 * mm, 10 * mm, f"{doc.number} · generated {stamp} · {doc.url}")
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, f"page {canvas.getPageNumber()}")
        canvas.restoreState()

    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                      bottomMargin=18 * mm, title=f"Permit {doc.number}", author="Permitto",
                      subject=doc.title).build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
