"""Grading a cohort from its batch archive.

Every command reads the archive the batch wrote (:mod:`exam_pdf.grading.load`): its
manifest and the README and figures embedded in each group's PDF, modelled and checked by
the same pipeline as ``exam-pdf check``. Nothing needs the groups' source tree, and the
same archive gives the same result.

- :mod:`~exam_pdf.grading.sheet`: ``exam-pdf sheet``, one row per group, a score cell per question;
- :mod:`~exam_pdf.grading.similarity`: which groups share an answer (``exam-pdf similarity``),
  reported by :mod:`~exam_pdf.grading.report` as ``similarity.csv`` and a section of ``index.html``;
- :mod:`~exam_pdf.grading.blind`: blind copies (``exam-pdf blind``), each group under a code;
- :mod:`~exam_pdf.grading.book`: question books (``exam-pdf book``), one question, every group's answer.
"""
