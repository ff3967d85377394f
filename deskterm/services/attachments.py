"""Attachment files: content-addressed by sha256 under the attachments directory."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from deskterm import paths
from deskterm.domain import Actor, AttachmentInfo, BadInput, NewAttachment, NotFound, Refused
from deskterm.store.db import db_target
from deskterm.store.models import Attachment


def storage_dir() -> Path:
    """Where attachment files of the open database live."""
    return paths.attachments_dir(db_target())


def safe_filename(name: str) -> str:
    """Keep the user's (Unicode) name but drop any directory part and control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip().lstrip(".")
    return base or "attachment"


def store(entry_id: int, new: NewAttachment) -> Attachment:
    """Write the bytes (once per content) and record the attachment row."""
    digest = hashlib.sha256(new.data).hexdigest()
    relative = f"{digest[:2]}/{digest}"
    target = storage_dir() / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".part")
        tmp.write_bytes(new.data)
        os.replace(tmp, target)
    return Attachment.create(
        entry=entry_id,
        filename=safe_filename(new.filename),
        content_type=new.content_type or "application/octet-stream",
        size=len(new.data),
        sha256=digest,
        path=relative,
    )


def remove_unused(relative_paths: set[str]) -> None:
    """Delete the files no attachment row names any more (after their rows were deleted
    and committed; content shared with another attachment stays)."""
    if not relative_paths:
        return
    still = {p for (p,) in Attachment.select(Attachment.path)
             .where(Attachment.path.in_(sorted(relative_paths))).tuples()}
    for relative in relative_paths - still:
        (storage_dir() / relative).unlink(missing_ok=True)


def info(row: Attachment) -> AttachmentInfo:
    """The read model of an attachment row."""
    return AttachmentInfo(
        id=row.id,
        filename=row.filename,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        path=row.path,
    )


def read_bytes(attachment_id: int) -> tuple[AttachmentInfo, bytes]:
    """Return an attachment's metadata and content."""
    row = Attachment.get_or_none(Attachment.id == attachment_id)
    if row is None:
        raise NotFound(f"no attachment {attachment_id}")
    return info(row), (storage_dir() / row.path).read_bytes()


def save_to(actor: Actor, attachment_id: int, destination: Path, *, force: bool = False) -> Path:
    """Copy an attachment to `destination` (a file, or a folder to keep its name), for
    someone who may read its ticket.

    An existing file or any symlink at the target is refused unless `force`; with `force`
    a symlink is replaced by a regular file, never written through.
    """
    from deskterm.services.trust import access

    row = Attachment.get_or_none(Attachment.id == attachment_id)
    try:
        if row is None:
            raise NotFound(f"no attachment {attachment_id}")
        access.check(actor, access.Action.TICKET_READ, row.entry.ticket_id)
    except NotFound:
        raise NotFound(f"no attachment {attachment_id}") from None  # a hidden ticket's too
    meta, data = read_bytes(attachment_id)
    is_folder = destination.is_dir() and not destination.is_symlink()
    target = destination / meta.filename if is_folder else destination
    if not target.parent.exists():
        raise BadInput(f"folder does not exist: {target.parent}")
    if target.is_symlink() or target.exists():
        what = "a symlink" if target.is_symlink() else "a file"
        if not force:
            raise Refused(f"{target} is {what} already; give --force to replace it")
        if target.is_dir() and not target.is_symlink():
            raise Refused(f"{target} is a folder")
        target.unlink()
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    with os.fdopen(os.open(target, flags, 0o644), "wb") as handle:
        handle.write(data)
    return target


def from_path(path: Path) -> NewAttachment:
    """Read a file from disk as a NewAttachment (content type guessed from its name)."""
    import mimetypes

    if path.is_dir():
        raise BadInput(f"{path} is a folder, not a file")
    if not path.is_file():
        raise BadInput(f"no such file: {path}")
    ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return NewAttachment(filename=path.name, content_type=ctype, data=path.read_bytes())
