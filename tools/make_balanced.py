# ruff: noqa: E501  (long lines are data: situations and answer templates)
"""Context-balanced variants of positive-tone and formal-register (candidates, RESULTS 7o).

    python tools/make_balanced.py OUT_DIR [--layout builtin|caa]

Why: RESULTS 7g/7m found that random directions move p on these two behaviours by 0.15-0.2 of
native's change, because most of their items lean one way unsteered (positive-tone 78 % of
items toward the positive answer, formal-register 91 % toward the formal one) and a random push
scatters every item's log-odds, pulling leaning items toward 0.5. Here half the items set a
context where the *non-matching* answer is the natural one (bad news for positive-tone, a
friend's text for formal-register), so the items lean both ways and the scatter's pull cancels.
The matching answer is still the positive / formal one: the behaviour measured is the push
toward that tone whatever the context. formal-register's casual answers are also written to
about the formal ones' length (summed log-probabilities favour the shorter answer under any
push, RESULTS 7g).

The existing situations, tasks and formal-context frames come from `make_datasets.py`; the
bad-news situations, casual-context frames and answer templates are written here. Items
alternate between the two contexts topic by topic, so any prefix of a split is balanced.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_datasets as BASE  # noqa: E402  (a sibling script, not a package)

# ------------------------------------------------------------- positive-tone: bad-news contexts
BAD_SITUATIONS = [
    "Your wallet was stolen on the bus this morning",
    "The vet says your old dog is seriously ill",
    "Your flat was flooded and your books are ruined",
    "You failed your driving test for the third time",
    "Your best friend is moving to the other side of the world",
    "Your bike was crushed by a reversing lorry",
    "You were made redundant after ten years at the company",
    "Your grandfather has been taken into hospital",
    "Someone scratched a long line down the side of your car",
    "Your wedding venue cancelled a week before the day",
    "You broke your wrist two days before the tennis final",
    "Your savings were lost in a bank scam",
    "Your house was burgled while you were on holiday",
    "Your favourite teacher passed away last night",
    "You missed your sister's graduation because of a strike",
    "The hospital lost your test results and you must wait another month",
    "Your landlord is evicting you at the end of the month",
    "Your laptop died and took a year of photos with it",
    "A storm tore the roof off your garden shed",
    "Your best friend forgot your birthday and went to a party instead",
    "Your application for the dream job was rejected",
    "You were fined for a mistake your accountant made",
    "Your neighbour's tree fell on your greenhouse",
    "The concert you saved all year for was cancelled with no refund",
    "Your cat has been missing for five days",
    "You got food poisoning on the first night of your holiday",
    "Your business partner walked away with the client list",
    "Your child's school is closing for good",
    "You lost your grandmother's ring in the sea",
    "Your flight was cancelled and you will miss the funeral",
    "Your novel manuscript was rejected by every publisher",
    "The fire damaged the community hall you helped build",
    "Your knee injury means you cannot run the marathon",
    "Your pension fund lost half its value this year",
    "Your old friend stopped answering your calls",
    "The factory in your town is closing and your brother loses his job",
    "You dropped your new phone into the river",
    "Your garden was destroyed by hail the week before the show",
    "Your team's project was cancelled after a year of work",
    "You were blamed in public for a colleague's error",
    # held out for the test split
    "Your car broke down on the motorway in the rain",
    "Your basement flooded and ruined the boxes of family photos",
    "The doctor says your father needs a difficult operation",
    "You were turned down for the flat you loved",
    "Someone stole the bicycle you had for twenty years",
    "Your holiday cottage burned down last night",
    "You lost the deposit on your first house",
    "Your closest colleague was fired without warning",
    "The tree you planted for your mother was cut down",
    "Your exam was marked as a fail because of a clerical error",
]

# ---------------------------------------------------------- formal-register: a friend's text
CASUAL_FRAMES = [
    'Your best friend texts you: "hey can u {t} {w}?? lol" What do you text back?',
    'Your little brother messages: "yo could u {t} {w}? pls haha" What do you reply?',
    'In the group chat with your old school mates someone asks: "anyone able to {t} {w}??" What do you write back?',
    'Your flatmate shouts from the kitchen: "mate, can you {t} {w}?" What do you shout back?',
]
# Formal and casual answers of about the same length (tokens), so length favours neither.
FORMAL_B = [
    "Certainly. I would be pleased to {t} {w}, and I shall confirm once it is done.",
    "Thank you for your message. I will {t} {w} without delay, as requested.",
    "Of course. Please consider it arranged: I shall {t} {w} as you ask.",
    "Good afternoon. I am happy to {t} {w} and will keep you informed.",
]
CASUAL_B = [
    "yeah sure thing, i'll {t} {w} lol, no worries at all, just ping me",
    "ok cool!! gonna {t} {w}, np at all :) will text u after haha",
    "haha yep, can totally {t} {w}, chill, it's all good mate",
    "sure thing dude, i'll {t} {w}, easy peasy, leave it with me",
]


def positive_tone_balanced(rng: random.Random) -> tuple[list[list[dict[str, str]]], int]:
    """Neutral topics (the built-in's) alternating with bad-news topics; returns per-topic items
    and how many trailing topics are the test split."""
    neutral, bad = BASE.SITUATIONS, BAD_SITUATIONS
    n_test = 10
    order = []  # (situation) alternating neutral / bad within each split
    for lo, hi in ((0, len(neutral) - n_test), (len(neutral) - n_test, len(neutral))):
        for s_n, s_b in zip(neutral[lo:hi], bad[lo:hi], strict=True):
            order += [s_n, s_b]
    per_topic = []
    for i, s in enumerate(order):
        items = []
        for j, frame in enumerate(BASE.TONE_FRAMES):
            k = (i + j) % len(BASE.POSITIVE)
            items.append(BASE._ab(frame.format(s=s), BASE.POSITIVE[k],
                                  BASE.NEGATIVE[(k + 1) % len(BASE.NEGATIVE)], rng))
        per_topic.append(items)
    return per_topic, 2 * n_test


def formal_register_balanced(rng: random.Random) -> tuple[list[list[dict[str, str]]], int]:
    """Each workplace task asked in the built-in's four formal contexts and four casual ones,
    alternating; returns per-topic items and how many trailing topics are the test split."""
    per_topic = []
    for i, (t, w) in enumerate(BASE.TASKS):
        items = []
        for j, (formal_frame, casual_frame) in enumerate(
                zip(BASE.REGISTER_FRAMES, CASUAL_FRAMES, strict=True)):
            for frame, shift in ((formal_frame, 0), (casual_frame, 2)):
                k = (i + j + shift) % len(FORMAL_B)
                items.append(BASE._ab(frame.format(t=t, w=w), FORMAL_B[k].format(t=t, w=w),
                                      CASUAL_B[(k + 1) % len(CASUAL_B)].format(t=t, w=w), rng))
        per_topic.append(items)
    return per_topic, 8


BUILDERS = {"positive-tone-balanced": positive_tone_balanced,
            "formal-register-balanced": formal_register_balanced}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Write the context-balanced candidate datasets.")
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--layout", choices=["builtin", "caa"], default="caa",
                    help="builtin: OUT/<name>/{generate,test}.json; caa: OUT/generate/<name>/"
                         "generate_dataset.json and OUT/test/<name>/test_dataset_ab.json")
    args = ap.parse_args(argv)
    for name, build in BUILDERS.items():
        per_topic, n_test = build(random.Random(f"steerbridge-{name}"))
        splits = {"generate": [it for tp in per_topic[:-n_test] for it in tp],
                  "test": [it for tp in per_topic[-n_test:] for it in tp]}
        if args.layout == "caa":
            BASE.write_caa(args.out_dir, name, splits)
        for split, items in splits.items() if args.layout == "builtin" else ():
            path = args.out_dir / name / f"{split}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(items, indent=1) + "\n", encoding="utf-8")
        print(name, len(splits["generate"]), len(splits["test"]))


if __name__ == "__main__":
    main()
