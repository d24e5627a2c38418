"""Inspection visits and their evidence: typed by content, capped in size, stored privately by
hash, downloaded only within scope and only as an attachment."""

from __future__ import annotations

import hashlib
import io
import stat
import zipfile
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext
from openpyxl import Workbook

from inspections.models import EvidenceFile, InspectionVisit
from inspections.visits import do_record_visit, stored_path
from lib.errors import Conflict
from tests.subsidies.journey import advance, freeze_today
from workflows.models import Event, Stage
from workflows.services import do_transition

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def _zip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


DOCX = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
DOCM = _zip(
    {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>", "word/vbaProject.bin": b"x"}
)
PLAIN_ZIP = _zip({"readme.txt": b"hello"})


def _xlsx() -> bytes:
    book = Workbook()
    book.active["A1"] = "整改台账"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _private_store(settings, tmp_path, monkeypatch):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    freeze_today(monkeypatch, date(2022, 9, 20))


@pytest.fixture
def guided(case, xunyang_officer, federation_officer):
    return advance(case, Stage.GUIDANCE, officer=xunyang_officer, approver=federation_officer)


def _upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def _post(api, user, case, files=(), **fields):
    data = {
        "visited_on": "2022-09-15",
        "visitors": "王磊、赵静",
        "found": "职工书屋已建成，台账齐全",
        **fields,
    }
    data["files"] = list(files)
    return api.as_user(user).post(f"/api/v1/cases/{case.pk}/visits/", data, format="multipart")


def test_it_records_a_visit_with_its_files_stored_privately_by_hash(
    api, guided, xunyang_officer, settings
):
    response = _post(
        api, xunyang_officer, guided, [_upload("现场.jpg", JPEG), _upload("台账.xlsx", _xlsx())]
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["visited_on"], body["visitors"], body["found"]) == (
        "2022-09-15",
        "王磊、赵静",
        "职工书屋已建成，台账齐全",
    )
    assert body["created_by"]["username"] == "xunyang"
    assert [(f["original_name"], f["content_type"]) for f in body["files"]] == [
        ("现场.jpg", "image/jpeg"),
        ("台账.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ]
    evidence = EvidenceFile.objects.get(original_name="现场.jpg")
    path = stored_path(evidence.sha256)
    assert path.read_bytes() == JPEG
    assert evidence.sha256 == hashlib.sha256(JPEG).hexdigest() and evidence.size == len(JPEG)
    assert path.is_relative_to(settings.PRIVATE_MEDIA_ROOT)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    event = Event.objects.get(case=guided, action="visit")
    assert (event.actor, event.comment) == (xunyang_officer, "职工书屋已建成，台账齐全")
    assert event.data == {"visit": body["id"], "visited_on": "2022-09-15", "files": 2}
    visit = InspectionVisit.objects.get()
    assert visit.history.get().history_user == xunyang_officer
    assert evidence.history.get().history_change_reason == gettext("Evidence file attached")


def test_it_judges_the_type_by_content_not_by_name(api, guided, xunyang_officer):
    response = _post(api, xunyang_officer, guided, [_upload("照片.png", PDF, "image/png")])

    assert response.status_code == 201
    evidence = EvidenceFile.objects.get()
    assert evidence.content_type == "application/pdf"
    download = api.get(f"/api/v1/evidence/{evidence.pk}/")
    assert download["Content-Type"] == "application/pdf"
    assert "filename*=utf-8''%E7%85%A7%E7%89%87.pdf" in download["Content-Disposition"]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("报告.pdf", b"MZ\x90\x00\x03\x00\x00\x00 this is a program"),
        ("照片.png", b"<html><script>alert(1)</script></html>"),
        ("表格.xlsx", PLAIN_ZIP),
        ("文档.docx", DOCM),
        ("空白.pdf", b""),
        ("伪装.jpg", b"\xff\xd8"),
    ],
)
def test_it_refuses_files_that_are_not_what_it_accepts(
    api, guided, xunyang_officer, settings, name, content
):
    response = _post(
        api, xunyang_officer, guided, [_upload("好的.pdf", PDF), _upload(name, content)]
    )

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == ["files.1"] and name in errors["files.1"][0]
    assert not InspectionVisit.objects.exists() and not EvidenceFile.objects.exists()
    store = settings.PRIVATE_MEDIA_ROOT / "evidence"
    assert [p for p in store.rglob("*") if p.is_file()] == []


def test_it_accepts_word_and_png_files(api, guided, xunyang_officer):
    response = _post(
        api, xunyang_officer, guided, [_upload("制度.docx", DOCX), _upload("牌子.png", PNG)]
    )

    assert response.status_code == 201
    assert sorted(EvidenceFile.objects.values_list("content_type", flat=True)) == [
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "image/png",
    ]


def test_it_caps_the_size_of_each_file(api, guided, xunyang_officer, settings):
    settings.UPLOAD_MAX_BYTES = 2048
    big = PDF + b"0" * 2048

    response = _post(api, xunyang_officer, guided, [_upload("大文件.pdf", big)])

    assert response.status_code == 400
    assert "2048" in response.json()["errors"]["files.0"][0]
    assert not EvidenceFile.objects.exists()


def test_it_stores_the_same_content_once(api, guided, xunyang_officer, settings):
    _post(api, xunyang_officer, guided, [_upload("一.pdf", PDF)])
    _post(api, xunyang_officer, guided, [_upload("二.pdf", PDF)])

    assert EvidenceFile.objects.count() == 2
    stored = [p for p in (settings.PRIVATE_MEDIA_ROOT / "evidence").rglob("*") if p.is_file()]
    assert stored == [stored_path(hashlib.sha256(PDF).hexdigest())]


def test_it_serves_evidence_only_within_scope_and_only_as_an_attachment(
    api, guided, xunyang_officer, wuning_officer, auditor, reporter
):
    _post(api, xunyang_officer, guided, [_upload("台账.pdf", PDF)])
    evidence = EvidenceFile.objects.get()
    url = f"/api/v1/evidence/{evidence.pk}/"

    response = api.as_user(auditor).get(url, HTTP_ACCEPT="application/pdf")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert api.as_user(reporter).get(url).status_code == 200
    assert api.as_user(wuning_officer).get(url).status_code == 404
    assert (
        api.as_user(xunyang_officer).get(f"/api/v1/evidence/{evidence.pk + 1}/").status_code == 404
    )
    api.credentials()
    assert api.get(url).status_code == 401


def test_it_lists_a_cases_visits_for_those_who_see_it(
    api, guided, xunyang_officer, wuning_officer, leader
):
    _post(api, xunyang_officer, guided, [_upload("台账.pdf", PDF)])

    visits = api.as_user(leader).get(f"/api/v1/cases/{guided.pk}/visits/").json()

    assert [(v["visitors"], len(v["files"])) for v in visits] == [("王磊、赵静", 1)]
    assert visits[0]["files"][0]["url"] == f"/api/v1/evidence/{visits[0]['files'][0]['id']}/"
    assert api.as_user(wuning_officer).get(f"/api/v1/cases/{guided.pk}/visits/").status_code == 404


@pytest.mark.parametrize("persona", ["federation_officer", "leader", "auditor", "reporter"])
def test_it_lets_only_county_officers_record_visits(api, guided, persona, request):
    response = _post(api, request.getfixturevalue(persona), guided, [_upload("台账.pdf", PDF)])

    assert response.status_code == 403
    assert not InspectionVisit.objects.exists()


def test_it_hides_another_countys_case(api, guided, wuning_officer, settings):
    response = _post(api, wuning_officer, guided, [_upload("台账.pdf", PDF)])

    assert response.status_code == 404
    assert not (settings.PRIVATE_MEDIA_ROOT / "evidence").exists()


def test_it_names_each_bad_field(api, guided, xunyang_officer):
    response = _post(api, xunyang_officer, guided, visited_on="2022-09-21", visitors=" ", found="")

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {"visitors", "found"} <= set(errors)
    future = _post(api, xunyang_officer, guided, visited_on="2022-09-21")
    assert list(future.json()["errors"]) == ["visited_on"]


def test_it_refuses_a_visit_to_a_closed_case(guided, xunyang_officer, federation_officer):
    do_transition(guided.pk, "close", actor=federation_officer, comment="结案")

    with pytest.raises(Conflict):
        do_record_visit(
            guided.pk,
            actor=xunyang_officer,
            visited_on=date(2022, 9, 15),
            visitors="王磊",
            found="回访",
        )


def test_it_refuses_a_body_too_large_for_any_visit_before_reading_it(
    api, guided, xunyang_officer, settings
):
    settings.UPLOAD_MAX_BYTES = 1024
    huge = PDF + b"0" * (200 * 1024)

    response = _post(api, xunyang_officer, guided, [_upload("巨大.pdf", huge)])

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["files"]
    assert not (settings.PRIVATE_MEDIA_ROOT / "evidence").exists()
