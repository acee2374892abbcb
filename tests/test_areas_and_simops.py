"""Work areas, SIMOPS and the public permit check through the gateway (docs/domain.md, "Work areas", "SIMOPS"
and "Verifying a permit"): nested areas; a permit names its area to be submitted; a BLOCK refuses with the
other permit named, a WARN passes an approval only acknowledged (who and why), shown to the coordinator;
windows and work hours that do not overlap, and terminal permits, do not conflict; of two conflicting
permits approved at the same moment exactly one passes a block; the matrix is the coordinators' and
administrators'; the board colours areas; the site plan is uploaded through the files service; the QR code
of the printed permit opens a page without sign-in that says valid, suspended or closed, refuses a forged
token, shows only a first name, and is rate-limited; the permission matrix of every new endpoint."""

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from devstack import matrix
from devstack.images import png, png_base64
from devstack.observe import qr_codes_of_pdf, wait_until
from devstack.samples import FORMS, approved_sample, new_work_area, stand_down_hot_work

NY = ZoneInfo("America/New_York")
SIGNATURE = {"imageBase64": png_base64()}


@pytest.fixture
def people(api_of):
    return {role: api_of(role) for role in ("receiver.downtown", "issuer.downtown", "coordinator", "admin",
                                            "issuer.harbor", "receiver.both", "receiver.harbor")}


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()["data"]


def templates(api):
    return {t["type"]: t["id"] for t in api.get("/templates").json()["data"]}


def draft(people, ids, kind, area, *, start=None, days=1, hours=("08:00", "17:00"), receiver="receiver.downtown",
          title=None):
    api = people[receiver]
    start = start or datetime.now(NY).replace(microsecond=0) + timedelta(days=3)
    body = {"templateId": templates(api)[kind], "projectId": ids["projects"]["DOWNTOWN"],
            "title": title or f"{kind} job {uuid.uuid4().hex[:4]}", "validFrom": start.isoformat(),
            "validTo": (start + timedelta(days=days)).isoformat(), "workStart": hours[0], "workEnd": hours[1],
            "formData": FORMS.get(kind, dict)()}
    if area:
        body["workAreaId"] = area
    return ok(api.post("/permits", json=body), 201)


def submit(people, permit, receiver="receiver.downtown"):
    return people[receiver].post(f"/permits/{permit['id']}/submit")


def issuer_approve(people, permit, acknowledgement=None):
    body = {"signature": SIGNATURE, **({"simopsAcknowledgement": acknowledgement} if acknowledgement else {})}
    return people["issuer.downtown"].post(f"/permits/{permit['id']}/approve", json=body)


def test_areas_nest_and_a_permit_names_one_of_its_own_project(people, ids):
    coordinator, issuer, receiver = people["coordinator"], people["issuer.downtown"], people["receiver.downtown"]
    downtown = ids["projects"]["DOWNTOWN"]
    building = new_work_area(coordinator, downtown, "Building C")
    floor = new_work_area(coordinator, downtown, "Building C, floor 2", parent_id=building)
    assert ok(receiver.get(f"/work-areas?projectId={downtown}"))  # members of the project see its areas
    seeded = {a["code"]: a for a in ok(receiver.get(f"/work-areas?projectId={downtown}"))}
    assert seeded["TWR-L12"]["parentId"] == seeded["TWR"]["id"]
    assert seeded["TWR"]["shape"]["type"] == "polygon"
    inside_itself = coordinator.patch(f"/work-areas/{building}", json={"parentId": floor})
    assert inside_itself.status_code == 422
    assert inside_itself.json()["error"]["details"][0]["field"] == "parentId"
    assert issuer.post("/work-areas", json={"projectId": downtown, "code": "NOPE", "name": "Not mine"}
                       ).status_code == 403
    assert people["issuer.harbor"].get(f"/work-areas?projectId={downtown}").status_code == 404

    harbor_area = new_work_area(coordinator, ids["projects"]["HARBOR"], "Harbor shed")
    wrong = receiver.post("/permits", json={
        "templateId": templates(receiver)["HW"], "projectId": downtown, "title": "Wrong place",
        "validFrom": (datetime.now(NY) + timedelta(days=3)).isoformat(),
        "validTo": (datetime.now(NY) + timedelta(days=4)).isoformat(), "workAreaId": harbor_area})
    assert wrong.status_code == 422
    assert wrong.json()["error"]["details"][0]["field"] == "workAreaId"

    nowhere = draft(people, ids, "HW", None)
    refused = submit(people, nowhere)
    assert refused.status_code == 422
    assert {"field": "workAreaId", "message": "Work area: is required"} in refused.json()["error"]["details"]
    ok(receiver.patch(f"/permits/{nowhere['id']}", json={"workAreaId": floor, "version": nowhere["version"]}))
    submitted = ok(submit(people, nowhere))
    assert submitted["workArea"]["name"] == "Building C, floor 2"


def test_a_block_refuses_with_the_other_permit_named_and_only_when_place_and_time_meet(people, ids):
    coordinator = people["coordinator"]
    downtown = ids["projects"]["DOWNTOWN"]
    tank_room = new_work_area(coordinator, downtown, "Tank room")
    sump = new_work_area(coordinator, downtown, "Tank room sump", parent_id=tank_room)
    start = datetime.now(NY).replace(microsecond=0) + timedelta(days=3)
    hot = draft(people, ids, "HW", tank_room, start=start, title="Cut pipework in the tank room")
    hot = ok(submit(people, hot))

    confined = draft(people, ids, "CSE", sump, start=start + timedelta(hours=2))  # inside the area, overlapping
    blocked = submit(people, confined)
    assert blocked.status_code == 409
    error = blocked.json()["error"]
    assert error["code"] == "SIMOPS_BLOCKED"
    assert hot["number"] in error["message"]
    assert ok(people["receiver.downtown"].get(f"/permits/{confined['id']}"))["status"] == "DRAFT"

    later = draft(people, ids, "CSE", sump, start=start + timedelta(days=2))  # windows do not overlap
    ok(submit(people, later))
    night = draft(people, ids, "CSE", sump, start=start, hours=("17:00", "20:00"))  # hours do not overlap
    ok(submit(people, night))
    elsewhere = draft(people, ids, "CSE", new_work_area(coordinator, downtown, "Other room"), start=start)
    ok(submit(people, elsewhere))

    ok(coordinator.post(f"/permits/{hot['id']}/cancel", json={"reason": "Replanned for next week"}))
    ok(submit(people, confined))  # a terminal permit conflicts with nothing


def test_the_same_area_is_the_area_what_it_is_inside_and_what_is_inside_it_at_any_depth(people, ids):
    coordinator = people["coordinator"]
    downtown = ids["projects"]["DOWNTOWN"]
    block = new_work_area(coordinator, downtown, "Block D")
    level_1 = new_work_area(coordinator, downtown, "Block D, level 1", parent_id=block)
    level_2 = new_work_area(coordinator, downtown, "Block D, level 2", parent_id=block)
    plant_room = new_work_area(coordinator, downtown, "Block D, level 1 plant room", parent_id=level_1)
    start = datetime.now(NY).replace(microsecond=0) + timedelta(days=4)

    hot = ok(submit(people, draft(people, ids, "HW", plant_room, start=start, title="Braze chiller lines")))
    over_it = submit(people, draft(people, ids, "CSE", block, start=start))  # two levels above the hot work
    assert over_it.status_code == 409
    assert hot["number"] in over_it.json()["error"]["message"]
    beside_it = ok(submit(people, draft(people, ids, "CSE", level_2, start=start)))  # another branch: not the same
    assert beside_it["conflicts"] == []

    for permit in (hot, beside_it):
        ok(coordinator.post(f"/permits/{permit['id']}/cancel", json={"reason": "Replanned"}))
    above = ok(submit(people, draft(people, ids, "HW", block, start=start, title="Cut roof steel on Block D")))
    under_it = submit(people, draft(people, ids, "CSE", plant_room, start=start))  # two levels below
    assert under_it.status_code == 409
    assert above["number"] in under_it.json()["error"]["message"]
    warned = ok(submit(people, draft(people, ids, "HW", plant_room, start=start, title="Grind plant room frames")))
    page = ok(coordinator.get(f"/permits/{warned['id']}"))
    assert page["workArea"]["name"] == "Block D, level 1 plant room"
    assert [(c["number"], c["verdict"], c["workArea"]["name"]) for c in page["conflicts"]] == [
        (above["number"], "WARN", "Block D")]


def test_a_warn_needs_an_acknowledgement_the_coordinator_sees(people, ids):
    coordinator = people["coordinator"]
    bay = new_work_area(coordinator, ids["projects"]["DOWNTOWN"], "Loading bay")
    start = datetime.now(NY).replace(microsecond=0) + timedelta(days=3)
    first = ok(submit(people, draft(people, ids, "HW", bay, start=start, title="Weld bay door frame")))
    second = ok(submit(people, draft(people, ids, "HW", bay, start=start, title="Grind bay rails")))
    assert [c["verdict"] for c in second["conflicts"]] == ["WARN"]
    assert second["conflicts"][0]["number"] == first["number"]

    unacknowledged = issuer_approve(people, second)
    assert unacknowledged.status_code == 409
    assert unacknowledged.json()["error"]["code"] == "SIMOPS_ACKNOWLEDGEMENT_REQUIRED"
    assert unacknowledged.json()["error"]["details"][0]["field"] == "simopsAcknowledgement"
    ok(issuer_approve(people, second, "Fire blankets between the two; one fire watch for both"))
    seen = ok(coordinator.get(f"/permits/{second['id']}"))
    acknowledgement = seen["conflicts"][0]["acknowledgement"]
    assert acknowledgement["reason"] == "Fire blankets between the two; one fire watch for both"
    assert acknowledgement["by"]["name"] == "Ivan Issuer"
    assert acknowledgement["role"] == "ISSUER"

    def told():  # the people of the first permit hear of the work approved beside theirs, and how
        rows = people["receiver.downtown"].get("/notifications", params={"limit": 100}).json()["data"]
        return [n for n in rows if n["type"] == "SIMOPS_ACKNOWLEDGED" and n["permitId"] == first["id"]] or None

    news = wait_until(told, timeout=30)
    assert news, "the first permit's receiver is told"
    assert second["number"] in news[0]["body"]
    assert "Fire blankets" in news[0]["body"]
    final = ok(coordinator.post(f"/permits/{second['id']}/approve", json={"signature": SIGNATURE}))
    assert final["status"] == "APPROVED"  # the pair is acknowledged already
    entries = ok(coordinator.get(f"/permits/{second['id']}/timeline"))
    acknowledged = next(e for e in entries if e["action"] == "simops_acknowledged")
    assert acknowledged["comment"].startswith("Fire blankets")
    # the first permit, approved now, sees the same acknowledged pair; the board lists it
    ok(issuer_approve(people, first))
    board = ok(coordinator.get(f"/work-areas/board?projectId={ids['projects']['DOWNTOWN']}"))
    pair = next(c for c in board["conflicts"] if {p["id"] for p in c["permits"]} == {first["id"], second["id"]})
    assert pair["verdict"] == "WARN"
    assert pair["acknowledged"] is True


def test_of_two_conflicting_permits_approved_at_the_same_moment_exactly_one_passes(people, ids, new_api, tokens):
    coordinator = people["coordinator"]
    downtown = ids["projects"]["DOWNTOWN"]
    pit = new_work_area(coordinator, downtown, "Pit 4")
    start = datetime.now(NY).replace(microsecond=0) + timedelta(days=3)
    rule = {"typeA": "CSE", "typeB": "HW"}
    ok(coordinator.put(f"/simops-matrix/{downtown}", json={"rules": [{**rule, "verdict": "ALLOW"}]}))
    try:
        permits = [ok(submit(people, draft(people, ids, kind, pit, start=start))) for kind in ("HW", "CSE")]
        ok(coordinator.put(f"/simops-matrix/{downtown}", json={"rules": [{**rule, "verdict": "BLOCK"}]}))
        issuers = []
        for _ in permits:
            api = new_api()
            api.token = tokens["issuer.downtown"]
            issuers.append(api)
        def approve(pair):
            api, permit = pair
            return api.post(f"/permits/{permit['id']}/approve", json={"signature": SIGNATURE})

        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = list(pool.map(approve, zip(issuers, permits, strict=True)))
        assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
        loser = next(a for a in answers if a.status_code == 409)
        assert loser.json()["error"]["code"] == "SIMOPS_BLOCKED"
    finally:
        ok(coordinator.put(f"/simops-matrix/{downtown}", json={"rules": [{**rule, "verdict": "BLOCK"}]}))


def test_the_matrix_is_the_coordinators_and_administrators(people, ids):
    downtown = ids["projects"]["DOWNTOWN"]
    matrix = {(r["typeA"], r["typeB"]): r for r in ok(people["receiver.downtown"].get(f"/simops-matrix/{downtown}"))}
    assert matrix[("CSE", "HW")]["verdict"] == "BLOCK"
    assert matrix[("HW", "HW")]["verdict"] == "WARN"
    assert matrix[("EW", "WAH")]["verdict"] == "WARN"
    assert matrix[("CSE", "CSE")]["verdict"] == "WARN"
    assert matrix[("HW", "WAH")]["verdict"] == "ALLOW"
    change = {"rules": [{"typeA": "WAH", "typeB": "HW", "verdict": "WARN"}]}
    for role in ("issuer.downtown", "receiver.downtown"):
        assert people[role].put(f"/simops-matrix/{downtown}", json=change).status_code == 403
    assert people["issuer.harbor"].get(f"/simops-matrix/{downtown}").status_code == 404
    changed = {(r["typeA"], r["typeB"]): r for r in ok(people["admin"].put(f"/simops-matrix/{downtown}", json=change))}
    assert changed[("HW", "WAH")] == {"typeA": "HW", "typeB": "WAH", "verdict": "WARN", "isDefault": False}
    ok(people["coordinator"].put(f"/simops-matrix/{downtown}",
                                 json={"rules": [{"typeA": "HW", "typeB": "WAH", "verdict": "ALLOW"}]}))
    bad = people["coordinator"].put(f"/simops-matrix/{downtown}",
                                    json={"rules": [{"typeA": "HW", "typeB": "XX", "verdict": "MAYBE"}]})
    assert bad.status_code == 422
    assert {d["field"] for d in bad.json()["error"]["details"]} == {"rules[0].typeB", "rules[0].verdict"}


def test_the_board_colours_each_area_by_its_most_severe_live_permit(people, ids, clock):
    coordinator, receiver = people["coordinator"], people["receiver.downtown"]
    downtown = ids["projects"]["DOWNTOWN"]
    hall = new_work_area(coordinator, downtown, "Hall 9")
    bay = new_work_area(coordinator, downtown, "Hall 9, bay 1", parent_id=hall)
    quiet = new_work_area(coordinator, downtown, "Hall 9 annex")
    start = datetime.now(NY) + timedelta(days=2)
    start = start.replace(hour=6, minute=30, second=0, microsecond=0)
    clock(start)
    permit = approved_sample(receiver, people["issuer.downtown"], coordinator, downtown, start, "Hall 9 welding",
                             area_id=bay)
    ok(coordinator.post(f"/permits/{permit['id']}/suspend", json={"reason": "High winds on the roof"}))
    board = ok(receiver.get(f"/work-areas/board?projectId={downtown}"))
    colours = {a["id"]: a for a in board["areas"]}
    assert colours[bay]["colour"] == "red"
    assert colours[hall]["colour"] == "red"  # a hall is as red as its worst bay
    assert colours[quiet]["colour"] == "none"
    assert [p["number"] for p in colours[bay]["permits"]] == [permit["number"]]
    assert people["receiver.both"].get(f"/work-areas/board?projectId={downtown}").status_code == 200
    others = {a["id"]: a for a in ok(people["receiver.both"].get(f"/work-areas/board?projectId={downtown}"))["areas"]}
    assert others[bay]["permits"] == []  # the board shows each person only the permits they may see


def test_the_site_plan_is_uploaded_through_the_files_service(people, ids):
    coordinator = people["coordinator"]
    harbor = ids["projects"]["HARBOR"]
    image = png(640, 400)
    ticket = ok(coordinator.post(f"/site-plans/{harbor}/upload-url", json={"contentType": "image/png",
                                                                         "size": len(image)}), 201)
    assert requests.put(ticket["url"], data=image, headers=ticket["headers"], timeout=30).status_code == 200
    plan = ok(coordinator.post(f"/site-plans/{harbor}/confirm", json={"key": ticket["key"]}))
    assert (plan["width"], plan["height"]) == (640, 400)
    assert requests.get(plan["url"], timeout=30).content == image
    assert ok(people["receiver.harbor"].get(f"/site-plans/{harbor}"))["width"] == 640
    assert people["receiver.downtown"].get(f"/site-plans/{harbor}").status_code == 404
    assert people["issuer.harbor"].post(f"/site-plans/{harbor}/upload-url",
                                        json={"contentType": "image/png", "size": 10}).status_code == 403

    fake = b"%PDF-1.4 not a picture at all" * 10
    ticket = ok(coordinator.post(f"/site-plans/{harbor}/upload-url", json={"contentType": "image/png",
                                                                         "size": len(fake)}), 201)
    requests.put(ticket["url"], data=fake, headers=ticket["headers"], timeout=30)
    refused = coordinator.post(f"/site-plans/{harbor}/confirm", json={"key": ticket["key"]})
    assert refused.status_code == 422
    assert "PNG or JPEG" in refused.json()["error"]["details"][0]["message"]
    assert ok(coordinator.get(f"/site-plans/{harbor}"))["width"] == 640  # the refused upload changed nothing


def _qr_link(api, permit):
    link = ok(api.get(f"/permits/{permit['id']}/pdf"))
    codes = qr_codes_of_pdf(requests.get(link["url"], timeout=30).content)
    assert len(codes) == 1, codes
    return codes[0]


def test_the_printed_qr_code_opens_a_public_check_of_the_permit(people, ids, clock, gateway, new_api):
    coordinator, receiver = people["coordinator"], people["receiver.downtown"]
    start = (datetime.now(NY) + timedelta(days=2)).replace(hour=6, minute=30, second=0, microsecond=0)
    clock(start)
    permit = approved_sample(receiver, people["issuer.downtown"], coordinator, ids["projects"]["DOWNTOWN"], start,
                             "Weld the north stair")
    link = _qr_link(coordinator, permit)
    port = gateway.rsplit(":", 1)[1]
    assert link.startswith(f"http://localhost:{port}/verify/"), link  # the site's own origin
    token = link.rsplit("/verify/", 1)[1]
    page_url = f"{gateway}/verify/{token}"

    def check(ip="10.240.0.1"):
        return requests.get(page_url, headers={"X-Forwarded-For": ip}, timeout=30)

    page = check()
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "script-src" not in page.headers["Content-Security-Policy"]
    html = page.text
    assert "NOT ACTIVE TODAY" in html
    assert permit["number"] in html
    assert "Rafael" in html  # a first name only: no surname, no email address
    assert "Rafael Receiver" not in html
    assert "@permitto" not in html
    assert "Acme Steel" in html  # the company
    for role in ("receiver.downtown", "issuer.downtown", "coordinator"):
        ok(people[role].post(f"/permits/{permit['id']}/daily-approve"))
    assert "VALID NOW" in check().text
    data = requests.get(f"{gateway}/api/v1/verify/{token}", headers={"X-Forwarded-For": "10.240.0.2"},
                        timeout=30).json()["data"]
    assert (data["colour"], data["status"], data["holderFirstName"]) == ("green", "ACTIVE", "Rafael")
    assert data["lastConfirmedAt"]

    ok(coordinator.post(f"/permits/{permit['id']}/suspend", json={"reason": "Gas alarm on level 2"}))
    assert "SUSPENDED — STOP WORK" in check().text
    stand_down_hot_work(receiver, permit, clock, start + timedelta(hours=3), reason="Done early")
    ok(coordinator.post(f"/permits/{permit['id']}/close",
                        json={"completionNotes": "Area clean and handed back", "signature": SIGNATURE}))
    assert "CLOSED" in check().text

    encoded_id, mac = token.split(".")
    forged = f"{encoded_id}.{'A' if mac[0] != 'A' else 'B'}{mac[1:]}"
    other_id = approved_sample(receiver, people["issuer.downtown"], coordinator, ids["projects"]["DOWNTOWN"], start,
                               "Another permit")["id"]
    import base64

    altered = base64.urlsafe_b64encode(uuid.UUID(other_id).bytes).rstrip(b"=").decode() + "." + mac
    for bad in (forged, altered, "nonsense", encoded_id):
        refused = requests.get(f"{gateway}/verify/{bad}", headers={"X-Forwarded-For": "10.240.0.3"}, timeout=30)
        assert refused.status_code == 404, bad
        assert "NOT FOUND" in refused.text

    # rate-limited per address (20 a minute on the test stack); another address is still answered
    answers = [check("10.240.0.9").status_code for _ in range(22)]
    assert 429 in answers
    assert check("10.240.0.10").status_code == 200


# -- the permission matrix ---------------------------------------------------------------------------
ROLES = ["anonymous", "admin", "coordinator", "issuer.downtown", "receiver.downtown", "issuer.harbor"]


def case_list_areas(api_of, ids):
    return "GET", f"/work-areas?projectId={ids['projects']['DOWNTOWN']}", None


def case_create_area(api_of, ids):
    return "POST", "/work-areas", {"projectId": ids["projects"]["DOWNTOWN"], "code": f"M-{uuid.uuid4().hex[:8]}",
                                   "name": "Matrix area", "shape": {"type": "pin", "x": 0.5, "y": 0.5}}


def case_update_area(api_of, ids):
    area = new_work_area(api_of("coordinator"), ids["projects"]["DOWNTOWN"], "Matrix area")
    return "PATCH", f"/work-areas/{area}", {"name": "Matrix area, renamed"}


def case_board(api_of, ids):
    return "GET", f"/work-areas/board?projectId={ids['projects']['DOWNTOWN']}", None


def case_get_plan(api_of, ids):
    return "GET", f"/site-plans/{ids['projects']['DOWNTOWN']}", None


def case_plan_upload(api_of, ids):
    return "POST", f"/site-plans/{ids['projects']['DOWNTOWN']}/upload-url", {"contentType": "image/png", "size": 100}


def case_plan_confirm(api_of, ids):
    # a key of no upload: who may confirm gets the 422 of the check, the others never reach it
    return "POST", f"/site-plans/{ids['projects']['DOWNTOWN']}/confirm", {
        "key": f"plans/{ids['projects']['DOWNTOWN']}/{uuid.uuid4()}.png"}


def case_get_matrix(api_of, ids):
    return "GET", f"/simops-matrix/{ids['projects']['DOWNTOWN']}", None


def case_set_matrix(api_of, ids):
    return "PUT", f"/simops-matrix/{ids['projects']['DOWNTOWN']}", {
        "rules": [{"typeA": "HW", "typeB": "WAH", "verdict": "ALLOW"}]}


#        anonymous admin coordinator issuer.downtown receiver.downtown issuer.harbor
MATRIX = [
    (case_list_areas, [401, 200, 200, 200, 200, 404]),
    (case_create_area, [401, 201, 201, 403, 403, 403]),
    (case_update_area, [401, 200, 200, 403, 403, 404]),
    (case_board, [401, 200, 200, 200, 200, 404]),
    (case_get_plan, [401, 200, 200, 200, 200, 404]),
    (case_plan_upload, [401, 201, 201, 403, 403, 403]),
    (case_plan_confirm, [401, 422, 422, 403, 403, 403]),
    (case_get_matrix, [401, 200, 200, 200, 200, 404]),
    (case_set_matrix, [401, 200, 200, 403, 403, 403]),
]


@pytest.mark.parametrize(("make", "expected"), matrix.cases(MATRIX, ROLES))
@pytest.mark.parametrize("role", ROLES)
def test_matrix(make, expected, role, api_of, ids, new_api):
    case = make(api_of, ids)
    api = new_api() if role == "anonymous" else api_of(role)
    matrix.check(api, role, case, expected)
