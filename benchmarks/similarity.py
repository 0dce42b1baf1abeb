#!/usr/bin/env python3
"""Scale of the answers shared between groups (issue 15): 200 groups x 31 questions.

Synthetic answers (no TeX, no parsing: what is measured is the comparison itself,
:func:`exam_pdf.grading.similarity.compare`): per question a prompt, and per group an answer
of 50 to 300 words drawn from a Zipf-like vocabulary of 5,000 words, so that common words
and phrases recur between groups as in real answers. ``--copies`` answers are copies of
another group's answer to the same question with light edits (sentences reordered, a tenth
of the words replaced); the run says how many of them were flagged and how many other
pairs were.

Printed: CPU seconds of the comparison (user + system of this process, less sensitive
to a busy machine than the wall clock), the wall seconds, and the peak resident memory of
the whole process (answers included). Targets: under 10 s and under 500 MB.

    python benchmarks/similarity.py [--groups 200] [--questions 31] [--copies 40] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import resource
import time

from exam_pdf.grading.similarity import Answer, compare

TARGET_SECONDS = 10.0
TARGET_MB = 500.0


def vocabulary(rng: random.Random, size: int = 5000) -> tuple[list[str], list[float]]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = sorted({"".join(rng.choice(letters) for _ in range(rng.randint(2, 9))) for _ in range(size * 2)})[:size]
    rng.shuffle(words)
    return words, [1 / (rank + 1) for rank in range(len(words))]


def text(rng: random.Random, words: list[str], weights: list[float], length: int) -> str:
    chosen = rng.choices(words, weights, k=length)
    sentences, at = [], 0
    while at < length:
        size = rng.randint(8, 20)
        sentences.append(" ".join(chosen[at : at + size]).capitalize() + ".")
        at += size
    return " ".join(sentences)


def edited(rng: random.Random, original: str, words: list[str]) -> str:
    sentences = original.split(". ")
    rng.shuffle(sentences)
    tokens = ". ".join(sentences).split()
    for index in rng.sample(range(len(tokens)), len(tokens) // 10):
        tokens[index] = rng.choice(words)
    return " ".join(tokens)


def cohort(groups: int, questions: int, copies: int, seed: int) -> tuple[list[Answer], dict[int, list[str]], set]:
    rng = random.Random(seed)
    words, weights = vocabulary(rng)
    prompts = {q: [text(rng, words, weights, 60)] for q in range(1, questions + 1)}
    texts = {(g, q): text(rng, words, weights, rng.randint(50, 300)) for g in range(1, groups + 1) for q in prompts}
    planted = set()
    for _ in range(copies):
        source, target = rng.sample(range(1, groups + 1), 2)
        question = rng.randint(1, questions)
        texts[(target, question)] = edited(rng, texts[(source, question)], words)
        planted.add((question, min(source, target), max(source, target)))
    answers = [Answer("", str(g), q, value) for (g, q), value in texts.items()]
    return answers, prompts, planted


def _linked(pair: tuple[int, int, int], planted: set[tuple[int, int, int]]) -> bool:
    """Whether both groups of ``pair`` hold a copy of the same answer (a chain of planted copies)."""
    question, a, b = pair
    edges = {(x, y) for q, x, y in planted if q == question}
    reached, todo = {a}, [a]
    while todo:
        node = todo.pop()
        for x, y in edges:
            for near in (y,) if x == node else (x,) if y == node else ():
                if near not in reached:
                    reached.add(near)
                    todo.append(near)
    return b in reached


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--questions", type=int, default=31)
    parser.add_argument("--copies", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    answers, prompts, planted = cohort(args.groups, args.questions, args.copies, args.seed)
    before = resource.getrusage(resource.RUSAGE_SELF)
    wall = time.monotonic()
    pairs = compare(answers, prompts)
    wall = time.monotonic() - wall
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    peak_mb = after.ru_maxrss / 1024
    found = {(p.question, min(int(p.a.group), int(p.b.group)), max(int(p.a.group), int(p.b.group))) for p in pairs}
    print(f"{args.groups} groups x {args.questions} questions: {len(answers)} answers, {len(planted)} copies planted")
    chained = {pair for pair in found - planted if _linked(pair, planted)}
    print(
        f"flagged {len(found)} pairs: {len(found & planted)} of the planted copies, {len(chained)} copies of one "
        f"answer by two groups, {len(found - planted - chained)} others"
    )
    print(f"comparison: {cpu:.2f} s CPU, {wall:.2f} s wall; peak memory of the process {peak_mb:.0f} MB")
    ok = cpu < TARGET_SECONDS and peak_mb < TARGET_MB
    print(f"targets < {TARGET_SECONDS:.0f} s and < {TARGET_MB:.0f} MB: {'MET' if ok else 'NOT MET'}")


if __name__ == "__main__":
    main()
