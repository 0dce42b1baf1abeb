"""Draw the example report's figures into ``examples/report/figures/``.

Deterministic: no clock, no unseeded randomness, only Pillow's built-in default
font, so running it twice gives byte-identical files (with the same Pillow).
The figures imitate screenshots of the tools a course group would show; every
number in them is invented.

    python examples/make_figures.py
"""

from __future__ import annotations

import math
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).resolve().parent / "report" / "figures"

WHITE = (255, 255, 255)
BLACK = (32, 33, 36)
GREY = (95, 99, 104)
LIGHT = (232, 234, 237)
BLUE = (26, 115, 232)
ORANGE = (242, 153, 0)
GREEN = (30, 142, 62)
RED = (217, 48, 37)
PURPLE = (129, 75, 197)


def font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """Pillow's own default font; scalable on Pillow >= 10.1, the bitmap one before."""
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def save(image: Image.Image, name: str) -> None:
    path = OUT / name
    if name.endswith(".jpg"):
        image.convert("RGB").save(path, "JPEG", quality=80, optimize=True)
    else:
        image.save(path, "PNG", optimize=True)
    print(f"{path.relative_to(OUT.parent.parent.parent)}  {path.stat().st_size} bytes")


def arrow(draw: ImageDraw.ImageDraw, start: tuple[int, int], end: tuple[int, int], colour=GREY) -> None:
    draw.line([start, end], fill=colour, width=3)
    angle = math.atan2(end[1] - start[1], end[0] - start[0])
    size = 12
    left = (end[0] - size * math.cos(angle - 0.45), end[1] - size * math.sin(angle - 0.45))
    right = (end[0] - size * math.cos(angle + 0.45), end[1] - size * math.sin(angle + 0.45))
    draw.polygon([end, left, right], fill=colour)


def box(draw: ImageDraw.ImageDraw, xy: tuple[int, int, int, int], title: str, lines: list[str], colour) -> None:
    draw.rounded_rectangle(xy, radius=10, fill=WHITE, outline=colour, width=3)
    x0, y0, x1, _ = xy
    draw.rectangle((x0 + 3, y0 + 3, x1 - 3, y0 + 30), fill=colour)
    draw.text((x0 + 10, y0 + 8), title, fill=WHITE, font=font(16))
    for i, line in enumerate(lines):
        draw.text((x0 + 10, y0 + 40 + 20 * i), line, fill=BLACK, font=font(14))


def architecture() -> None:
    image = Image.new("RGB", (1000, 600), WHITE)
    draw = ImageDraw.Draw(image)
    draw.text((20, 15), "Group 42: Danish street-sign classifier, MLOps pipeline", fill=BLACK, font=font(22))
    columns = [20, 270, 520, 770]
    rows = [70, 250, 430]

    def cell(col: int, row: int) -> tuple[int, int, int, int]:
        return (columns[col], rows[row], columns[col] + 210, rows[row] + 130)

    nodes = [
        (0, 0, "Local development", ["uv + pyproject.toml", "Hydra configs", "DVC, pre-commit"], BLUE),
        (1, 0, "GitHub", ["main + PR branches", "DVC pointer files"], BLACK),
        (2, 0, "GitHub Actions", ["pytest + coverage", "ruff lint", "3 OS x 2 Python"], GREEN),
        (3, 0, "Cloud Build", ["trigger on main", "docker build + push"], ORANGE),
        (0, 1, "Weights & Biases", ["metrics, sweeps", "model registry"], (230, 160, 0)),
        (1, 1, "Cloud Storage", ["DVC remote", "model checkpoints"], ORANGE),
        (2, 1, "Vertex AI", ["custom training job", "logs to W&B"], PURPLE),
        (3, 1, "Artifact Registry", ["train image", "api image"], ORANGE),
        (0, 2, "User", ["uploads a photo", "or calls curl"], GREY),
        (1, 2, "Streamlit frontend", ["Cloud Run service"], BLUE),
        (2, 2, "Cloud Run: API", ["FastAPI /predict", "/metrics"], BLUE),
        (3, 2, "Cloud Monitoring", ["alert: 5xx rate", "alert: latency"], GREEN),
    ]
    for col, row, title, lines, colour in nodes:
        box(draw, cell(col, row), title, lines, colour)
    edges = [
        ((230, 135), (270, 135)),  # local -> github
        ((480, 135), (520, 135)),  # github -> actions
        ((730, 135), (770, 135)),  # actions -> cloud build
        ((875, 200), (875, 250)),  # cloud build -> registry
        ((770, 315), (730, 315)),  # registry -> vertex (train image)
        ((520, 315), (480, 315)),  # vertex -> bucket (model)
        ((125, 200), (125, 250)),  # local -> wandb
        ((230, 200), (270, 250)),  # local -> bucket (dvc push)
        ((800, 380), (730, 430)),  # registry -> cloud run (api image)
        ((480, 380), (520, 430)),  # bucket -> cloud run (model)
        ((230, 495), (270, 495)),  # user -> frontend
        ((480, 495), (520, 495)),  # frontend -> api
        ((730, 495), (770, 495)),  # api -> monitoring
    ]
    for start, end in edges:
        arrow(draw, start, end)
    draw.text((20, 575), "arrows: code, images, data and models flowing between services", fill=GREY, font=font(13))
    save(image, "architecture.png")


def chart_frame(draw, box_xy, x_max, y_max, x_label, y_label, ticks_y):
    x0, y0, x1, y1 = box_xy
    draw.rectangle(box_xy, outline=LIGHT)
    for value in ticks_y:
        y = y1 - (y1 - y0) * value / y_max
        draw.line([(x0, y), (x1, y)], fill=LIGHT)
        draw.text((x0 - 40, y - 7), f"{value:.1f}", fill=GREY, font=font(12))
    for step in range(0, x_max + 1, x_max // 5):
        x = x0 + (x1 - x0) * step / x_max
        draw.text((x - 10, y1 + 6), str(step), fill=GREY, font=font(12))
    draw.text(((x0 + x1) // 2 - 30, y1 + 26), x_label, fill=GREY, font=font(13))
    draw.text((x0 - 40, y0 - 24), y_label, fill=GREY, font=font(13))


def wandb_loss() -> None:
    rng = random.Random(42)
    image = Image.new("RGB", (900, 500), WHITE)
    draw = ImageDraw.Draw(image)
    draw.text((20, 12), "W&B  dtu-mlops-group42 / street-signs  -  run 'lively-fjord-17'", fill=BLACK, font=font(18))
    plot = (80, 80, 860, 420)
    steps, y_max = 3000, 2.5
    chart_frame(draw, plot, steps, y_max, "trainer/global_step", "loss", [0.0, 0.5, 1.0, 1.5, 2.0, 2.5])

    def to_xy(step: float, value: float) -> tuple[float, float]:
        x0, y0, x1, y1 = plot
        return x0 + (x1 - x0) * step / steps, y1 - (y1 - y0) * min(value, y_max) / y_max

    train = [(s, 2.2 * math.exp(-s / 600) + 0.12 + 0.08 * rng.random()) for s in range(0, steps + 1, 25)]
    val = [(s, 2.1 * math.exp(-s / 700) + 0.25 + 0.03 * math.sin(s / 90)) for s in range(0, steps + 1, 150)]
    draw.line([to_xy(*p) for p in train], fill=BLUE, width=2)
    draw.line([to_xy(*p) for p in val], fill=ORANGE, width=3)
    for p in val:
        x, y = to_xy(*p)
        draw.ellipse((x - 3, y - 3, x + 3, y + 3), fill=ORANGE)
    draw.rectangle((660, 90, 850, 140), fill=WHITE, outline=LIGHT)
    draw.line([(670, 105), (700, 105)], fill=BLUE, width=3)
    draw.text((708, 98), "train/loss", fill=BLACK, font=font(13))
    draw.line([(670, 127), (700, 127)], fill=ORANGE, width=3)
    draw.text((708, 120), "val/loss", fill=BLACK, font=font(13))
    save(image, "wandb_loss.png")


def wandb_sweep() -> None:
    rng = random.Random(7)
    image = Image.new("RGB", (900, 500), WHITE)
    draw = ImageDraw.Draw(image)
    draw.text((20, 12), "W&B sweep 'bayes-lr-dropout' (24 runs): parallel coordinates", fill=BLACK, font=font(18))
    axes = [("lr (log)", -5.0, -2.0), ("batch_size", 16, 128), ("dropout", 0.0, 0.5), ("val/acc", 0.70, 0.95)]
    x_positions = [100, 340, 580, 820]
    top, bottom = 80, 430
    for (name, low, high), x in zip(axes, x_positions, strict=True):
        draw.line([(x, top), (x, bottom)], fill=GREY, width=2)
        draw.text((x - 30, bottom + 12), name, fill=BLACK, font=font(14))
        draw.text((x + 6, top - 4), f"{high:g}", fill=GREY, font=font(12))
        draw.text((x + 6, bottom - 12), f"{low:g}", fill=GREY, font=font(12))
    for _ in range(24):
        lr = rng.uniform(-5, -2)
        batch = rng.choice([16, 32, 64, 128])
        dropout = rng.uniform(0, 0.5)
        acc = 0.93 - 0.05 * abs(lr + 3.3) - 0.08 * abs(dropout - 0.2) - 0.0002 * batch + rng.uniform(-0.01, 0.01)
        values = [lr, batch, dropout, max(0.70, min(0.95, acc))]
        points = []
        for (_, low, high), x, value in zip(axes, x_positions, values, strict=True):
            points.append((x, bottom - (bottom - top) * (value - low) / (high - low)))
        share = (values[3] - 0.70) / 0.25
        colour = (int(60 + 190 * share), int(60 + 60 * (1 - share)), int(200 - 150 * share))
        draw.line(points, fill=colour, width=2)
    save(image, "wandb_sweep.png")


def console(title: str, path: str, header: list[str], rows: list[list[str]], widths: list[int], size=(900, 420)):
    image = Image.new("RGB", size, WHITE)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, size[0], 44), fill=BLUE)
    draw.text((16, 12), "Google Cloud   dtu-mlops-group42", fill=WHITE, font=font(18))
    draw.text((16, 58), title, fill=BLACK, font=font(20))
    draw.text((16, 88), path, fill=GREY, font=font(14))
    y = 120
    draw.rectangle((16, y, size[0] - 16, y + 30), fill=LIGHT)
    x = 26
    for name, width in zip(header, widths, strict=True):
        draw.text((x, y + 8), name, fill=BLACK, font=font(14))
        x += width
    for row in rows:
        y += 34
        draw.line([(16, y + 30), (size[0] - 16, y + 30)], fill=LIGHT)
        x = 26
        for i, (cell, width) in enumerate(zip(row, widths, strict=True)):
            draw.text((x, y + 8), cell, fill=BLUE if i == 0 else BLACK, font=font(14))
            x += width
    return image


def gcp_bucket() -> None:
    rows = [
        ["files/md5/", "Folder", "-", "-"],
        ["models/", "Folder", "-", "-"],
        ["models/cnn-2026-01-19.ckpt", "application/octet-stream", "4.8 MB", "Jan 19, 2026"],
        ["models/cnn-2026-01-22.ckpt", "application/octet-stream", "4.8 MB", "Jan 22, 2026"],
        ["predictions/requests.csv", "text/csv", "212.4 KB", "Jan 24, 2026"],
        ["reference/features.parquet", "application/octet-stream", "96.1 KB", "Jan 21, 2026"],
    ]
    image = console(
        "Bucket details: group42-street-signs",
        "Buckets > group42-street-signs  (europe-west1, Standard)",
        ["Name", "Type", "Size", "Created"],
        rows,
        [330, 260, 120, 140],
    )
    save(image, "gcp_bucket.png")


def artifact_registry() -> None:
    rows = [
        ["api", "sha256:4be1c0e9a3d2", "latest, v1.3", "312 MB", "Jan 23, 2026"],
        ["api", "sha256:91f0d27c5ab8", "v1.2", "309 MB", "Jan 21, 2026"],
        ["api", "sha256:0c6e8d4410f7", "v1.1", "405 MB", "Jan 17, 2026"],
        ["train", "sha256:d2a97b31e6c0", "latest", "1.9 GB", "Jan 22, 2026"],
        ["train", "sha256:7e3b55a90c12", "-", "1.9 GB", "Jan 16, 2026"],
    ]
    image = console(
        "Artifact Registry: images in street-signs",
        "europe-west1-docker.pkg.dev/dtu-mlops-group42/street-signs",
        ["Image", "Digest", "Tags", "Size", "Created"],
        rows,
        [110, 230, 150, 110, 150],
        size=(800, 340),
    )
    save(image, "artifact_registry.png")


def artifact_registry_repos() -> None:
    rows = [
        ["street-signs", "Docker", "Standard", "europe-west1", "2.4 GB"],
        ["gcf-artifacts", "Docker", "Standard", "europe-west1", "0 B"],
    ]
    image = console(
        "Artifact Registry: repositories",
        "Project dtu-mlops-group42",
        ["Name", "Format", "Mode", "Location", "Size"],
        rows,
        [190, 130, 140, 170, 100],
        size=(800, 240),
    )
    save(image, "artifact_registry_repos.png")


def coverage() -> None:
    image = Image.new("RGB", (760, 400), (30, 30, 30))
    draw = ImageDraw.Draw(image)
    draw.text((20, 20), "$ uv run coverage report", fill=(120, 220, 120), font=font(16))
    rows = [
        ("Name", "Stmts", "Miss", "Cover"),
        ("src/street_signs/__init__.py", "0", "0", "100%"),
        ("src/street_signs/api.py", "64", "9", "86%"),
        ("src/street_signs/data.py", "58", "4", "93%"),
        ("src/street_signs/model.py", "41", "1", "98%"),
        ("src/street_signs/train.py", "73", "22", "70%"),
        ("src/street_signs/evaluate.py", "29", "11", "62%"),
        ("src/street_signs/drift.py", "37", "15", "59%"),
        ("TOTAL", "302", "62", "79%"),
    ]
    right_edges = [None, 520, 610, 720]
    for i, row in enumerate(rows):
        y = 60 + 34 * i + (10 if i == len(rows) - 1 else 0)
        if i in (1, len(rows) - 1):
            draw.line([(20, y - 6), (730, y - 6)], fill=(150, 150, 150))
        for j, text in enumerate(row):
            f = font(16)
            x = 20 if j == 0 else right_edges[j] - draw.textlength(text, font=f)
            draw.text((x, y), text, fill=(220, 220, 220), font=f)
    save(image, "coverage.jpg")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    architecture()
    wandb_loss()
    wandb_sweep()
    gcp_bucket()
    artifact_registry()
    artifact_registry_repos()
    coverage()


if __name__ == "__main__":
    main()
