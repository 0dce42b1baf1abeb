"""The ``reports/`` folder of a repository at one commit, for ``verify --source``.

The same hardened git as ``collect`` (:mod:`~exam_pdf.collect.gitrun`: no hook, no
filter, no helper, the roster's transport only), into a bare mirror in a temporary
folder that is removed afterwards: the commit's history without blobs, then only the
blobs under ``reports/`` of that commit, read as stored.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from exam_pdf.collect import repository, snapshot
from exam_pdf.collect.gitrun import Budget, GitFailed
from exam_pdf.collect.roster import url_problem


def report_files(url: str, sha: str, timeout: float = 120, max_bytes: int = 200_000_000) -> dict[str, bytes] | None:
    """Path -> content of every regular file under ``reports/`` at ``sha`` in the repository
    at ``url`` (a URL or a path); None when the repository does not have that commit.

    GitFailed (its message says why) when the repository cannot be read at all.
    """
    problem = url_problem(url)
    if problem is not None:
        raise GitFailed(problem)
    budget = Budget(timeout, max_bytes)
    with tempfile.TemporaryDirectory(prefix="exam-pdf-verify-") as folder:
        mirror = Path(folder) / "mirror.git"
        repository.ensure_mirror(mirror, budget)
        if not repository.fetch_commit(mirror, url, sha, budget):
            return None
        files, _ = snapshot.plan(repository.report_tree(mirror, sha, budget))
        oids = sorted({entry.oid for entry in files})
        if not oids:
            return {}
        absent = repository.missing(mirror, sha, oids, budget)
        if absent:
            repository.fetch_blobs(mirror, url, absent, budget)
        blobs = repository.read_blobs(mirror, oids, budget)
        return {entry.path: blobs[entry.oid] for entry in files}
