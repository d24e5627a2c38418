"""Inspection visits (督促检查) and the evidence files attached to them.

A county officer records a visit to a union: the date, who went, what was found, and files
(photos, scans, the union's own documents). Files are untrusted input from the network:

1. The type is decided by the content, never by the name or the browser's Content-Type: PDF,
   PNG, JPEG, or a Word/Excel document (an OOXML zip holding ``word/document.xml`` or
   ``xl/workbook.xml``, without macros). Anything else is refused.
2. Each file is at most ``settings.UPLOAD_MAX_BYTES``; the count is checked while reading, so a
   client that lies about the size is stopped too.
3. Files are stored outside the web root, under ``settings.PRIVATE_MEDIA_ROOT/evidence/``, named
   by their SHA-256 (the same file uploaded twice is stored once), readable by the owner only,
   never executable. Nothing routes to that directory: ``evidence_for_user`` and the download
   view in ``inspections.api_visits`` are the only way out, after checking the case's scope.
4. Every upload of a visit is checked before any file is moved into place, so a refused
   upload leaves nothing behind. Files are in place before the rows commit, so a row never
   names a missing file; a transaction that fails afterwards can leave an unreferenced file,
   which is harmless (no row points to it) and is reused if the same content comes again.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from lib.audit import save_audited as _save
from lib.errors import Conflict, InvalidInput, NotInScope, RoleForbidden
from unions.models import Role, User
from workflows.events import record_event
from workflows.models import Event, Stage
from workflows.scope import visible_cases
from workflows.services import get_case_for_user

from .models import EvidenceFile, InspectionVisit

MAX_FILES_PER_VISIT = 20
CHUNK = 64 * 1024

PDF = ("application/pdf", "pdf")
PNG = ("image/png", "png")
JPEG = ("image/jpeg", "jpg")
DOCX = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx")
XLSX = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
EXTENSIONS = {content_type: extension for content_type, extension in (PDF, PNG, JPEG, DOCX, XLSX)}


# --- Content ----------------------------------------------------------------------------------


def sniff(path: Path) -> tuple[str, str] | None:
    """``(content_type, extension)`` of the file at ``path`` judged by its bytes, or None."""
    with path.open("rb") as handle:
        head = handle.read(16)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        return _office_document(path)
    return None


def _office_document(path: Path) -> tuple[str, str] | None:
    """A Word or Excel file is a zip with a content-types part and its main part. Only the
    zip's directory is read, never its members, so a zip bomb costs nothing."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        return None  # macros: a .docm/.xlsm renamed, refused
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    return None


def safe_name(name: str) -> str:
    """The uploaded file's name as shown to people: no directories, no control characters."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip().lstrip(".")
    return name[:200]


def download_name(evidence: EvidenceFile) -> str:
    """The name a download is saved as: the person's name for it, with the extension of what
    it really is (a ``.exe`` that is a PDF is saved as ``.pdf``)."""
    stem = Path(evidence.original_name).stem or f"evidence-{evidence.pk}"
    return f"{stem}.{EXTENSIONS.get(evidence.content_type, 'bin')}"


# --- Storage ----------------------------------------------------------------------------------


def evidence_root() -> Path:
    return Path(settings.PRIVATE_MEDIA_ROOT) / "evidence"


def stored_path(sha256: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError("not a sha256")
    return evidence_root() / sha256[:2] / sha256


@dataclass
class Spooled:
    """An upload read into a private temporary file, hashed and typed, not yet in place."""

    original_name: str
    temp: Path
    sha256: str
    size: int
    content_type: str


def _spool(upload: UploadedFile, limit: int) -> tuple[Spooled | None, str]:
    """Read the upload into a temporary file beside the store; ``(None, error)`` when refused."""
    if upload.size is not None and upload.size > limit:
        return None, _("The file is larger than %(limit)s bytes.") % {"limit": limit}
    tmp_dir = evidence_root() / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    digest, size = hashlib.sha256(), 0
    fd, name = tempfile.mkstemp(dir=tmp_dir)
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            upload.seek(0)
            for chunk in upload.chunks(CHUNK):
                size += len(chunk)
                if size > limit:
                    temp.unlink(missing_ok=True)
                    return None, _("The file is larger than %(limit)s bytes.") % {"limit": limit}
                digest.update(chunk)
                out.write(chunk)
        kind = sniff(temp) if size else None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    if kind is None:
        temp.unlink(missing_ok=True)
        return None, _("Only PDF, PNG, JPEG, Word (.docx) and Excel (.xlsx) files are accepted.")
    return Spooled(safe_name(upload.name), temp, digest.hexdigest(), size, kind[0]), ""


def _place(spooled: Spooled) -> None:
    """Move a checked file to its place under its hash (once per content), owner-readable."""
    target = stored_path(spooled.sha256)
    if target.exists():
        spooled.temp.unlink(missing_ok=True)
        return
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(spooled.temp, 0o600)
    os.replace(spooled.temp, target)


def _check_uploads(uploads: list[UploadedFile]) -> list[Spooled]:
    """Spool and check every upload; 400 naming each refused file (and nothing kept)."""
    errors: dict[str, list[str]] = {}
    if len(uploads) > MAX_FILES_PER_VISIT:
        raise InvalidInput(
            {"files": [_("At most %(n)d files per visit.") % {"n": MAX_FILES_PER_VISIT}]}
        )
    spooled: list[Spooled] = []
    limit = settings.UPLOAD_MAX_BYTES
    for index, upload in enumerate(uploads):
        item, error = _spool(upload, limit)
        if item is None:
            errors[f"files.{index}"] = [f"{safe_name(upload.name)}: {error}"]
        else:
            spooled.append(item)
    if errors:
        for item in spooled:
            item.temp.unlink(missing_ok=True)
        raise InvalidInput(errors)
    return spooled


# --- Services ---------------------------------------------------------------------------------


def do_record_visit(
    case_id: int,
    *,
    actor: User,
    visited_on: date,
    visitors: str,
    found: str,
    files: list[UploadedFile] | None = None,
) -> InspectionVisit:
    """A county officer records a visit to a union of their county, with its evidence.

    403 unless a county officer; 404 outside their county; 400 for a visit in the future, an
    empty field or a refused file (nothing saved); 409 once the case is closed. One ``visit``
    event on the case; the visit and each file get their history row.
    """
    if actor.role != Role.COUNTY_OFFICER:
        raise RoleForbidden()
    get_case_for_user(actor, case_id)  # 404 before reading any upload
    visitors, found = (visitors or "").strip(), (found or "").strip()
    errors: dict[str, list[str]] = {}
    if visited_on > timezone.localdate():
        errors["visited_on"] = [_("A visit cannot be in the future.")]
    if not visitors:
        errors["visitors"] = [_("This field is required.")]
    if not found:
        errors["found"] = [_("This field is required.")]
    if errors:
        raise InvalidInput(errors)
    spooled = _check_uploads(list(files or []))
    for item in spooled:
        _place(item)

    with transaction.atomic():
        case = get_case_for_user(actor, case_id, lock=True)
        if case.stage == Stage.CLOSED:
            raise Conflict(_("The case is closed."))
        visit = InspectionVisit(
            case=case, visited_on=visited_on, visitors=visitors[:200], found=found, created_by=actor
        )
        _save(visit, actor, _("Inspection visit recorded"), force_insert=True)
        for item in spooled:
            evidence = EvidenceFile(
                visit=visit,
                original_name=item.original_name
                or f"{item.sha256[:12]}.{EXTENSIONS[item.content_type]}",
                content_type=item.content_type,
                size=item.size,
                sha256=item.sha256,
                uploaded_by=actor,
            )
            _save(evidence, actor, _("Evidence file attached"), force_insert=True)
        record_event(
            subject=Event.Subject.CASE,
            subject_id=case.pk,
            case=case,
            federation_id=case.union.federation_id,
            actor=actor,
            action="visit",
            from_stage=case.stage,
            to_stage=case.stage,
            comment=found,
            data={"visit": visit.pk, "visited_on": visited_on.isoformat(), "files": len(spooled)},
        )
    return visit


def visits_of(case_id: int, user: User) -> QuerySet[InspectionVisit]:
    """The visits to a case the user may see (404 for a case outside scope), newest first."""
    case = get_case_for_user(user, case_id)
    return (
        InspectionVisit.objects.filter(case=case)
        .select_related("created_by")
        .prefetch_related("files")
        .order_by("-visited_on", "-id")
    )


def evidence_for_user(user: User, evidence_id: int) -> EvidenceFile:
    """The file, when its case is in the user's scope and its content is on disk; else 404."""
    evidence = (
        EvidenceFile.objects.filter(pk=evidence_id, visit__case__in=visible_cases(user))
        .select_related("visit")
        .first()
    )
    if evidence is None or not stored_path(evidence.sha256).is_file():
        raise NotInScope()
    return evidence
