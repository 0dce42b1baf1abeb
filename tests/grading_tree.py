"""A small cohort for the grading tests: three groups on the 2026 template, every question answered.

Group 7 and group 12 hand in the same answer to question 14 (group 12's lightly edited:
sentences reordered, a tenth of the words swapped for synonyms); every other answer is
each group's own text. The identifiers that blinding must remove are planted in every
place a report can carry them: the group number (question 1), study numbers (question 2),
a GitHub user and repository URL in the text, the user name in a figure's file name.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from conftest import TEMPLATES

#: group number -> (study numbers, GitHub user)
GROUPS = {
    7: (["s246801", "s246802"], "octo-seven"),
    12: (["s135791", "s135792", "s135793"], "twelve-team"),
    31: (["s112233"], "thirtyone-org"),
}
#: group number -> a member's name, as the roster writes it (and the report, in question 3)
NAMES = {7: "Ada Lovelace", 12: "Grace Hopper", 31: "Edsger Dijkstra"}
VOCABULARY = (
    "model data training pipeline docker image container cloud bucket storage experiment logging metric "
    "loss accuracy dataset split validation test unit coverage workflow action trigger deploy endpoint api "
    "request latency monitor drift alert config hydra parameter sweep seed reproducible version control "
    "branch merge pull review commit hook lint format type check profile memory cpu gpu batch epoch "
    "optimizer scheduler checkpoint artifact registry service account permission secret key vertex engine "
    "compute instance cluster node scaling load balancer cache queue worker thread process file folder "
    "script module package dependency requirement environment virtual conda pip poetry lock build wheel"
).split()

#: The answer group 7 writes to question 14, and group 12's light edit of it.
COPIED = (
    "We tracked every experiment in Weights and Biases so that the loss curves of all runs sit side by side. "
    "The first figure shows the training loss falling steadily over twenty epochs for the baseline model. "
    "We logged the learning rate schedule together with the validation accuracy after each epoch. "
    "Comparing runs made it clear that the larger batch size gave smoother curves but slower convergence. "
    "We also stored the confusion matrix of the final checkpoint as an artifact of the run. "
    "These panels helped us pick the model that we later deployed to the cloud endpoint."
)
SYNONYMS = {
    "tracked": "logged",
    "steadily": "smoothly",
    "clear": "obvious",
    "smoother": "cleaner",
    "stored": "saved",
    "helped": "allowed",
    "pick": "choose",
    "later": "then",
    "falling": "dropping",
}


def edited_copy(text: str) -> str:
    """``text`` with its sentences in another order and about a tenth of its words replaced."""
    sentences = re.split(r"(?<=\.) ", text)
    order = sentences[3:] + sentences[:3]
    return " ".join(" ".join(SYNONYMS.get(word, word) for word in sentence.split()) for sentence in order)


def answer(group: int, number: int, words: int = 120) -> str:
    rng = random.Random(group * 1000 + number)
    return " ".join(rng.choice(VOCABULARY) for _ in range(words)) + "."


def png(path: Path, colour: tuple[int, int, int]) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (120, 80), colour).save(path)


def report(group: int) -> str:
    numbers, user = GROUPS[group]
    text = (TEMPLATES / "2026.md").read_text("utf-8")
    figure = f"figures/{user}_wandb.png"
    answers = {
        1: str(group),
        2: ", ".join(numbers),
        3: f"Our code is at https://github.com/{user}/mlops-project and the team account is @{user}. "
        f"Written by {NAMES[group]}. " + answer(group, 3, 40),
        14: (COPIED if group == 7 else edited_copy(COPIED) if group == 12 else answer(group, 14, 210))
        + f"\n\n![Loss curves]({figure})\n",
    }

    def fill(match: re.Match[str]) -> str:
        number = int(match.group(1))
        return answers.get(number, answer(group, number))

    text = re.sub(r"(?m)^--- question (\d+) fill here ---$", fill, text)
    title = "# Exam template for 02476 Machine Learning Operations"
    return text.replace(title, f"# Report of group {group} ({user})", 1)


def roster(path: Path) -> Path:
    """The roster of the three groups, as the exam office keeps it (names beside study numbers)."""
    lines = ["group_number,student_1,student_2,repo_url"]
    for group, (numbers, user) in GROUPS.items():
        lines.append(f"{group},{NAMES[group]} {numbers[0]},,https://github.com/{user}/mlops-project")
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def cohort(root: Path) -> Path:
    """Write the three groups' reports (and figures) under ``root``; return ``root``."""
    for index, group in enumerate(GROUPS):
        folder = root / f"group-{group}" / "reports"
        folder.mkdir(parents=True)
        (folder / "README.md").write_text(report(group), "utf-8")
        png(folder / "figures" / f"{GROUPS[group][1]}_wandb.png", (40 * index, 120, 200))
    return root
