"""Benchmark: render the permit PDF for a full permit (three signatures, ten pages of form data, a week of
daily confirmations, ten attached files). Prints the median and p95 of the render time and the page count.

    .venv/bin/python bench/pdf.py [--runs 30]
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from datetime import UTC, datetime, timedelta

import pypdf

from devstack.images import png
from permitto_permits.pdf.render import PermitDocument, SignatureBlock, render


def big_form() -> tuple[dict[str, object], dict[str, object]]:
    sections, data = [], {}
    for s in range(12):
        fields = []
        for f in range(28):
            key = f"s{s}_f{f}"
            if f % 4 == 0:
                fields.append({"key": key, "type": "checkbox", "label": f"Check item {f} of section {s}",
                               "options": [{"value": f"o{i}", "label": f"Control measure {i} in place"}
                                           for i in range(4)]})
                data[key] = ["o0", "o2", "o3"]
            elif f % 4 == 1:
                fields.append({"key": key, "type": "number", "label": f"Reading {f}", "unit": "ppm"})
                data[key] = f * 1.5
            else:
                fields.append({"key": key, "type": "textarea", "label": f"Observation {f} — Zoë Łukasz Ærø"})
                data[key] = "Scaffold inspected and tagged; exclusion zone set with barriers. " * 2
        sections.append({"key": f"s{s}", "title": f"Section {s + 1}", "fields": fields})
    return {"sections": sections}, data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    schema, data = big_form()
    now = datetime.now(UTC)
    signature = png(400, 130)
    doc = PermitDocument(
        number="DOWNTOWN-HW-2026-042", title="Weld new steel brackets — level 12", type="HW", status="CLOSED",
        project_code="DOWNTOWN", project_name="Downtown Tower", timezone="America/New_York",
        valid_from=now, valid_to=now + timedelta(days=6), work_hours="08:00–17:00", extended_hours=False,
        requester="Rafael Receiver", schema=schema, form_data=data, url="https://permitto.example.com/permits/x",
        signatures=[SignatureBlock(name, role, now, action, signature) for name, role, action in (
            ("Ivan Issuer", "ISSUER", "issuer_approve"), ("Chloé Coordinator", "COORDINATOR", "final_approve"),
            ("Chloé Coordinator", "COORDINATOR", "close"))],
        days=[{"workDate": (now + timedelta(days=d)).date().isoformat(), "deadlineAt": now.isoformat(),
               "complete": True, **{role: {"at": now.isoformat(), "userId": "u", "name": f"{role.title()} Person"}
                                    for role in ("receiver", "issuer", "coordinator")}} for d in range(7)],
        files=[{"name": f"photo-{i}.jpg", "contentType": "image/jpeg", "size": 2_400_000} for i in range(10)],
        closeout_notes="Work complete; area left clean; fire watch ended 16:45.", generated_at=now,
    )
    render(doc)  # warm up: fonts registered, modules imported
    timings = []
    for _ in range(args.runs):
        started = time.perf_counter()
        data_out = render(doc)
        timings.append((time.perf_counter() - started) * 1000)
    pages = len(pypdf.PdfReader(io.BytesIO(data_out)).pages)
    timings.sort()
    print(f"permit PDF: {pages} pages, {len(data_out) / 1024:.0f} KB, 3 signatures, 7 days, 10 files")
    print(f"render time over {args.runs} runs: median={statistics.median(timings):.0f} ms  "
          f"p95={timings[int(len(timings) * 0.95) - 1]:.0f} ms  max={timings[-1]:.0f} ms")


if __name__ == "__main__":
    main()
