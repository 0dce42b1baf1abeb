"""The date a report's sources carry, for the title page and the PDF metadata.

SOURCE_DATE_EPOCH when set (reproducible builds), else the last git commit that
touched the report, else the file's modification time. Never the wall clock.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path


def source_date(path: Path) -> tuple[dt.datetime, str]:
    """Return (date in UTC, where it came from)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC), "SOURCE_DATE_EPOCH"
    if shutil.which("git"):
        try:
            found = subprocess.run(
                ["git", "log", "-1", "--format=%ct", "--", path.name],
                cwd=path.parent,
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            found = ""
        if found.isdigit():
            return dt.datetime.fromtimestamp(int(found), dt.UTC), "git commit"
    return dt.datetime.fromtimestamp(int(path.stat().st_mtime), dt.UTC), "file time"
