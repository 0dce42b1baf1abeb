# A Sphinx project as a course would write it: MyST for Markdown, exam-pdf's extension for the
# report pages. Nothing else is needed for the extension (tests/test_sphinx_site.py).
extensions = ["myst_parser", "exam_pdf.sphinxext"]

project = "Course site"
# The reports hold text in many scripts; pdflatex's default fonts lack them (and this machine lacks pdflatex's).
latex_engine = "xelatex"
latex_documents = [
    ("index", "site.tex", "Course site", "Tester", "howto"),
    ("normal", "normal.tex", "Normal page", "Tester", "howto"),
]
