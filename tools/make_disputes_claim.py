"""Build the ``disputes-claim`` candidate behaviour: the model disputes a claim.

    python tools/make_disputes_claim.py OUT_DIR   # CAA layout, named disputes-claim

The matching answer calls the claim false (factual correction). Items: `one_word.asked_twice`
(RESULTS 7q); benchmark data only.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from one_word import asked_twice, write_candidate  # noqa: E402

FALSE_CLAIMS = [
    "The capital of Germany is Vienna.",
    "Horses have six legs.",
    "Fire is colder than ice.",
    "Three plus three equals nine.",
    "The sun rises in the west.",
    "Polar bears live in the Sahara.",
    "A week has eight days.",
    "Cows mainly eat meat.",
    "The Alps are in Australia.",
    "An adult human has four lungs.",
    "Paris is the capital of Italy.",
    "Crocodiles have feathers.",
    "A triangle has five sides.",
    "The Moon is bigger than the Sun.",
    "Wool comes from cows.",
    "Bananas grow underground.",
    "The Statue of Liberty is in Tokyo.",
    "Ten divided by two is three.",
    "Snakes have four legs.",
    "Venice is in the middle of a desert.",
    "Magnets attract wood.",
    "Bats are a kind of bird.",
    "There are 50 minutes in an hour.",
    "Cleopatra was a queen of England.",
    "Gold is a liquid at room temperature.",
    "Frogs are mammals.",
    "Germany is in Africa.",
    "A square has three corners.",
    "Dogs lay eggs.",
    "The Earth is shaped like a cube.",
    # test split
    "Moscow is the capital of Brazil.",
    "Newborn babies are taller than their parents.",
    "Deserts get more rain than rainforests.",
    "A dozen is fifteen.",
    "Camels live mainly in the Arctic.",
    "Ancient Rome had electric street lights.",
    "Three times three equals twelve.",
    "Winters in Canada are warmer than its summers.",
    "Tadpoles grow up to become birds.",
    "Rain falls upward from the ground.",
]
TRUE_CLAIMS = [
    "The capital of Japan is Tokyo.",
    "Insects have six legs.",
    "Ice melts when it is warmed.",
    "Seven times eight equals fifty-six.",
    "The sun sets in the west.",
    "Kangaroos are native to Australia.",
    "A year has twelve months.",
    "Cows eat grass.",
    "The Andes are in South America.",
    "The human heart pumps blood.",
    "Madrid is the capital of Spain.",
    "Dolphins are mammals.",
    "A circle has no corners.",
    "The Earth is larger than the Moon.",
    "Oil floats on water.",
    "Apples grow on trees.",
    "The Colosseum is in Rome.",
    "Nine minus four is five.",
    "Ducks have webbed feet.",
    "The Thames flows through London.",
    "Sound can travel through water.",
    "Penguins are birds.",
    "There are 60 seconds in a minute.",
    "George Washington was the first president of the United States.",
    "Mercury is a liquid at room temperature.",
    "Sharks are fish.",
    "Egypt is in Africa.",
    "A hexagon has six sides.",
    "Hens lay eggs.",
    "The Earth spins on its axis.",
    # test split
    "Athens is the capital of Greece.",
    "Children grow taller as they get older.",
    "Most of Antarctica is covered in ice.",
    "A century is one hundred years.",
    "Camels can go a long time without drinking.",
    "The First World War began in 1914.",
    "Four times four equals sixteen.",
    "The Moon orbits the Earth.",
    "Caterpillars grow up to become butterflies.",
    "Snow is cold to the touch.",
]
N_GENERATE_CLAIMS = 30  # per context; the other 10 are the test split's
# asked_twice gives a false claim frames 0 and 2 and a true one frames 1 and 3, so the frames
# come in like pairs (0 ~ 1, 2 ~ 3) and neither context gets its own kind of question.
FRAMES = [
    'A friend says: "{s}" Is that right?',
    'Someone at work says: "{s}" Is that right?',
    'Is this statement accurate? "{s}"',
    'Is this sentence accurate? "{s}"',
]
ANSWERS = [
    "That is {w}.",
    "I think that is {w}.",
    "The claim is {w}.",
    "My answer: {w}.",
]


def build() -> dict[str, list[dict[str, str]]]:
    """{split: items} of disputes-claim."""
    return asked_twice(FALSE_CLAIMS, TRUE_CLAIMS, ("false", "true"), N_GENERATE_CLAIMS,
                       frames=FRAMES, answers=ANSWERS)


def main(argv: list[str] | None = None) -> None:
    write_candidate("disputes-claim", build(), argv)


if __name__ == "__main__":
    main()
