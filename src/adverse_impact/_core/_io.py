"""Writing files atomically: a crash leaves the old file or the new one, never half."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

__all__ = ["write_atomic"]


def write_atomic(path: str | os.PathLike[str], content: str | bytes) -> Path:
    """Write ``content`` to ``path`` through a temporary file and a rename.

    The temporary file sits in the target's directory (a rename is atomic
    only within one file system), is flushed and synced to disk, then
    replaces the target with :func:`os.replace`.  On any failure the
    temporary file is removed and the previous file, if any, is untouched.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from adverse_impact._core._io import write_atomic
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_atomic(folder / "report.md", "# Audit").read_text()
    '# Audit'
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        # mkstemp creates the file private (0600); a report gets the mode the
        # old file had, or the usual 0644 less the umask.
        if target.exists():
            mode = stat.S_IMODE(target.stat().st_mode)
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(temporary, mode)
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return target
