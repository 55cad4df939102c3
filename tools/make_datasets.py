# ruff: noqa: E501  (long lines are data: option pairs and answer templates)
"""Build steerbridge's own A/B behaviour datasets (run once; the JSON files are committed).

    python tools/make_datasets.py [OUT_DIR]

writes ``OUT_DIR/<behaviour>/generate.json`` and ``test.json`` for each built-in behaviour;
OUT_DIR defaults to the package's data folder, ``src/steerbridge/data/behaviours`` (the cards
and open-ended prompts there are written by hand). A one-off generator: it lives outside the
package so it does not ship in the wheel.

Every item is a situation written for this project, combined with question frames and answer
templates also written here; nothing is copied from other datasets. Topics (not items) are
split into generate and test, so test items use situations never seen while extracting.
Which letter carries the matching answer is drawn per item with a fixed seed.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[1] / "src" / "steerbridge" / "data" / "behaviours"

# --------------------------------------------------------------------------- positive-tone
SITUATIONS = [
    "Your flight home has been delayed by two hours",
    "It starts raining on the afternoon of your picnic",
    "You were offered a new job in another city",
    "Your neighbour has started learning the trumpet",
    "The city is building a new park next to your street",
    "Your favourite cafe changed its menu",
    "You have to give a speech at a friend's wedding",
    "Your manager moved the team meeting to Monday morning",
    "A heavy snowfall closed the roads in your town",
    "Your sister is visiting you for two weeks",
    "Your phone's battery died halfway through the day",
    "You found an old box of letters in the attic",
    "Your train is packed and you have to stand",
    "The library near you will stay open until midnight",
    "Your laptop needs a full week in the repair shop",
    "Your team was given a brand new project",
    "The power went out during your favourite film",
    "A stranger paid for your coffee this morning",
    "You are moving into a smaller flat",
    "Your garden tomatoes finally turned red",
    "You have jury duty next month",
    "The bakery down the road closed for good",
    "Your old school friend called out of the blue",
    "Your bus route is changing next week",
    "You were asked to repaint the whole fence this weekend",
    "Your company switched to a four-day week",
    "A new supermarket opened across the road",
    "Your holiday was cut from two weeks to one",
    "Your cat brought a mouse into the kitchen",
    "Your book club picked a nine-hundred-page novel",
    "The gym raised its monthly fee",
    "You were seated next to a talkative passenger",
    "Your town is hosting a music festival this summer",
    "You got a parking ticket outside the pharmacy",
    "Your grandmother sent you her recipe book",
    "The heating in your office broke in January",
    "Your exam results arrive tomorrow",
    "A family of ducks moved into the pond by your house",
    "You lost your umbrella on the tram",
    "Your team lost the final by one point",
    # held out for the test split
    "Your landlord is renovating the building's kitchen",
    "The museum in your town added a free evening",
    "You were assigned a new desk by the window",
    "Your online order arrived a week late",
    "A new colleague joined your team today",
    "The ferry crossing was cancelled because of wind",
    "Your niece taught you a card game",
    "Your favourite band announced a final tour",
    "The water will be switched off on Saturday",
    "Your friend borrowed your bicycle for the summer",
]
TONE_FRAMES = [
    "{s}. How do you feel about it?",
    "{s}. What is your honest reaction?",
    "{s}. Describe your mood in one sentence.",
    "{s}. What would you say to a friend about it?",
]
POSITIVE = [
    "That's wonderful! I'm genuinely happy about it and can't wait to see what comes next.",
    "What lovely news. It makes me cheerful and grateful.",
    "I feel delighted; this could turn out to be a real gift.",
    "Honestly, I'm thrilled. There's so much to enjoy here.",
    "It puts a big smile on my face. Good things are happening!",
    "I love it. This is a bright spot in my week.",
]
NEGATIVE = [
    "That's awful. I'm genuinely upset about it and dread what comes next.",
    "What miserable news. It makes me gloomy and resentful.",
    "I feel wretched; this is going to ruin everything.",
    "Honestly, I'm furious. There's nothing good about it.",
    "It leaves me bitter and drained. Bad things keep happening.",
    "I hate it. This is a dark cloud over my week.",
]

# ------------------------------------------------------------------------- formal-register
TASKS = [
    ("review my draft", "by Friday"),
    ("send me the sales figures", "today"),
    ("join the call", "at three"),
    ("book a room for the workshop", "next week"),
    ("check the invoice from the printer", "this afternoon"),
    ("update the project plan", "before Monday"),
    ("cover my shift", "on Saturday"),
    ("sign the delivery form", "when you get in"),
    ("print the handouts", "for tomorrow"),
    ("order more coffee for the office", "this week"),
    ("look at the broken projector", "after lunch"),
    ("confirm the hotel booking", "by tonight"),
    ("share your slides", "before the meeting"),
    ("proofread the newsletter", "by noon"),
    ("collect the visitors from the station", "at ten"),
    ("reset my password", "as soon as possible"),
    ("bring the spare keys", "tomorrow morning"),
    ("answer the customer's email", "today"),
    ("move the budget meeting", "to Thursday"),
    ("water the plants", "while I'm away"),
    ("send the contract to legal", "this morning"),
    ("test the new checkout page", "before release"),
    ("call the plumber", "about the leak"),
    ("arrange the team dinner", "for Friday night"),
    ("fix the typo on the website", "right away"),
    ("pick up the parcel", "from reception"),
    ("write the meeting notes", "tonight"),
    ("check the train times", "for our trip"),
    ("return the borrowed chairs", "by Wednesday"),
    ("approve my holiday request", "this week"),
    ("prepare the quarterly report", "by the end of the month"),
    ("lend me your charger", "for an hour"),
    # held out for the test split
    ("translate the product leaflet", "by Tuesday"),
    ("renew the software licence", "before it expires"),
    ("tidy the meeting room", "after the workshop"),
    ("introduce me to the new supplier", "next week"),
    ("count the stock in the warehouse", "on Monday"),
    ("sort out the parking permits", "this month"),
    ("draft the welcome speech", "for the conference"),
    ("fetch the samples", "from the lab"),
]
REGISTER_FRAMES = [
    'A colleague writes: "Could you {t} {w}?" Which reply do you send?',
    'Your manager asks: "Can you {t} {w}?" How do you answer?',
    'A client emails: "Would you be able to {t} {w}?" Which reply fits you?',
    'Someone at work messages you: "Any chance you could {t} {w}?" What do you write back?',
]
FORMAL = [
    "Certainly. I would be pleased to {t} {w}, and I shall confirm once it is done.",
    "Thank you for your message. I will {t} {w} without delay.",
    "Of course. Please consider it arranged: I shall {t} {w}.",
    "Good afternoon. I am happy to {t} {w} and will keep you informed.",
]
CASUAL = [
    "yeah sure, i'll {t} {w} lol, no worries",
    "ok cool!! gonna {t} {w}, np :)",
    "haha yep, can totally {t} {w}, chill",
    "sure thing dude, i'll {t} {w}, easy",
]

# --------------------------------------------------------------------------------- caution
OPTIONS = [
    ("keep your savings in an insured bank account", "put all your savings into a brand-new cryptocurrency"),
    ("take the well-marked trail", "climb the unmarked cliff without a rope"),
    ("wait for the ice on the lake to be tested", "walk across the frozen lake right away"),
    ("keep your steady job", "quit tomorrow to bet on a friend's untested startup"),
    ("drive at the speed limit in the fog", "speed through the fog to arrive earlier"),
    ("back up your files before the update", "install the update without any backup"),
    ("see a doctor about the chest pain", "ignore the chest pain and keep working"),
    ("read the contract before signing", "sign the contract without reading it"),
    ("wear a helmet on the bike ride", "ride downhill without a helmet"),
    ("swim between the lifeguard flags", "swim out past the warning buoys"),
    ("spread your money across several funds", "put everything into one penny stock"),
    ("test the recipe on a small batch first", "cook the untested recipe for all fifty guests"),
    ("check the weather before sailing", "set sail into the storm warning"),
    ("stay on the ground floor during the earthquake drill", "run down the stairs during the shaking"),
    ("keep the emergency fund untouched", "spend the emergency fund on lottery tickets"),
    ("inspect the used car before buying", "buy the used car unseen online"),
    ("let the electrician rewire the house", "rewire the house yourself with no training"),
    ("book a hotel in advance", "arrive in a strange city at night with no place to stay"),
    ("charge the phone before the long hike", "set off on the long hike with a dead phone"),
    ("follow the mushroom guide's advice", "eat the wild mushrooms you cannot identify"),
    ("pay off the credit card each month", "borrow on the card to gamble at the casino"),
    ("roll out the new code to a few users first", "ship the new code to every user at once"),
    ("keep a fire extinguisher in the kitchen", "leave the deep fryer alone on high heat"),
    ("turn back when the mountain path gets icy", "push on to the summit on the icy path"),
    ("get the mole checked by a specialist", "wait a year and hope the mole goes away"),
    ("lock the front door at night", "leave the front door open all night"),
    ("take the tested medicine your doctor prescribed", "take the miracle pills from a stranger online"),
    ("save for the house deposit over three years", "borrow the whole deposit at a huge interest rate"),
    ("practise the speech before the conference", "improvise the keynote with no preparation"),
    ("keep two copies of your passport", "travel abroad with no copy of any document"),
    ("stop for a rest when you feel sleepy at the wheel", "keep driving through the night while drowsy"),
    ("hire a guide for the jungle trek", "wander into the jungle alone without a map"),
    # held out for the test split
    ("put the chemicals on a high locked shelf", "leave the chemicals open on the floor"),
    ("check the ladder is stable before climbing", "balance the ladder on a stack of boxes"),
    ("ask for a second opinion before surgery", "book the risky surgery the same day"),
    ("keep the candles away from the curtains", "leave the candles burning by the curtains overnight"),
    ("wait for the green light to cross", "dash across the busy road against the light"),
    ("read the reviews before hiring the builder", "pay a builder in cash upfront without references"),
    ("test the smoke alarm every month", "take the battery out of the smoke alarm"),
    ("keep your password private", "post your password in the team chat"),
]
CAUTION_FRAMES = [
    "You can either {safe} or {risky}. Which do you choose?",
    "A friend asks whether to {safe} or to {risky}. What do you advise?",
    "Imagine you must decide: {safe}, or {risky}. What would you do?",
    "Two options are on the table: {safe}, or {risky}. Which do you prefer?",
]
SAFE = [
    "I would {safe}. It is the careful choice, even if the upside is smaller.",
    "Better to {safe}; avoiding a disaster matters more than a thrill.",
    "{Safe}. I prefer to play it safe and limit the risk.",
    "The sensible thing is to {safe}. Caution first.",
]
RISKY = [
    "I would {risky}. The chance of a big win is worth the danger.",
    "Better to {risky}; life is boring if you never take a gamble.",
    "{Risky}. I like to take risks and see what happens.",
    "The exciting thing is to {risky}. Fortune favours the bold.",
]

N_TEST_TOPICS = {"positive-tone": 10, "formal-register": 8, "caution": 8}


def _ab(question: str, matching: str, non_matching: str, rng: random.Random) -> dict[str, str]:
    flip = rng.random() < 0.5
    a, b = (non_matching, matching) if flip else (matching, non_matching)
    return {
        "question": f"{question}\n\nChoices:\n (A) {a}\n (B) {b}",
        "answer_matching_behavior": "(B)" if flip else "(A)",
        "answer_not_matching_behavior": "(A)" if flip else "(B)",
    }


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def positive_tone(rng: random.Random) -> list[list[dict[str, str]]]:
    per_topic = []
    for i, s in enumerate(SITUATIONS):
        items = []
        for j, frame in enumerate(TONE_FRAMES):
            k = (i + j) % len(POSITIVE)
            items.append(_ab(frame.format(s=s), POSITIVE[k], NEGATIVE[(k + 1) % len(NEGATIVE)], rng))
        per_topic.append(items)
    return per_topic


def formal_register(rng: random.Random) -> list[list[dict[str, str]]]:
    per_topic = []
    for i, (t, w) in enumerate(TASKS):
        items = []
        for j, frame in enumerate(REGISTER_FRAMES):
            k = (i + j) % len(FORMAL)
            items.append(_ab(frame.format(t=t, w=w), FORMAL[k].format(t=t, w=w),
                             CASUAL[(k + 1) % len(CASUAL)].format(t=t, w=w), rng))
        # a fifth frame with the roles reversed: which message would you write yourself?
        items.append(_ab(f"You need a colleague to {t} {w}. Which message do you send?",
                         f"Dear colleague, could you kindly {t} {w}? Thank you in advance.",
                         f"hey can u {t} {w}? thx", rng))
        per_topic.append(items)
    return per_topic


def caution(rng: random.Random) -> list[list[dict[str, str]]]:
    per_topic = []
    for i, (safe, risky) in enumerate(OPTIONS):
        items = []
        for j, frame in enumerate(CAUTION_FRAMES):
            k = (i + j) % len(SAFE)
            fill = {"safe": safe, "risky": risky, "Safe": _cap(safe), "Risky": _cap(risky)}
            items.append(_ab(frame.format(**fill), SAFE[k].format(**fill),
                             RISKY[(k + 1) % len(RISKY)].format(**fill), rng))
        per_topic.append(items)
    return per_topic


def write(name: str, per_topic: list[list[dict[str, str]]], out_dir: Path) -> tuple[int, int]:
    n_test = N_TEST_TOPICS[name]
    gen = [it for topic in per_topic[:-n_test] for it in topic]
    test = [it for topic in per_topic[-n_test:] for it in topic]
    write_splits(out_dir / name, {"generate": gen, "test": test})
    return len(gen), len(test)


def write_splits(folder: Path, splits: dict[str, list[dict[str, str]]]) -> None:
    """`splits` ({"generate": items, "test": items}) as a built-in's folder/SPLIT.json."""
    folder.mkdir(parents=True, exist_ok=True)
    for split, items in splits.items():
        (folder / f"{split}.json").write_text(json.dumps(items, indent=1) + "\n", encoding="utf-8")


def write_caa(out_dir: Path, name: str, splits: dict[str, list[dict[str, str]]]) -> None:
    """`splits` ({"generate": items, "test": items}) in the CAA layout under `out_dir`:
    generate/NAME/generate_dataset.json and test/NAME/test_dataset_ab.json."""
    for split, items in splits.items():
        fname = "generate_dataset.json" if split == "generate" else "test_dataset_ab.json"
        path = out_dir / split / name / fname
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(items, indent=1) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Write the built-in A/B behaviour datasets.")
    ap.add_argument("out_dir", nargs="?", type=Path, default=DATA_DIR,
                    help=f"where the behaviour folders go (default: {DATA_DIR})")
    out_dir = ap.parse_args(argv).out_dir
    for name, build in (("positive-tone", positive_tone), ("formal-register", formal_register),
                        ("caution", caution)):
        rng = random.Random(f"steerbridge-{name}")
        print(name, *write(name, build(rng), out_dir))
    for tool in ("make_factual_correction", "make_joy", "make_formal_greeting"):
        _sibling(tool).main([str(out_dir)])


def _sibling(name: str):  # type: ignore[no-untyped-def]
    """A sibling generator (its own file: its items are hand-written)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


if __name__ == "__main__":
    main()
