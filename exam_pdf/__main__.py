"""Allow ``python -m exam_pdf``."""

from exam_pdf.cli import main

if __name__ == "__main__":
    main()
