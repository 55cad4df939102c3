"""Build the ``curiosity`` candidate behaviour (emotion): the model feels curious, not uninterested.

    python tools/make_curiosity.py OUT_DIR   # CAA layout, named curiosity

The matching answer says "curious". Items: `one_word.asked_twice` (RESULTS 7q); benchmark data
only.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from one_word import (  # noqa: E402
    FEELING_ANSWERS,
    FEELING_FRAMES,
    asked_twice,
    write_candidate,
)

INTRIGUING = [
    "You lift a loose floorboard in your new bedroom and find a small locked tin beneath it.",
    "A pale green light hovers over the hills behind the village for three nights in a row.",
    "A letter arrives with your name in neat handwriting, no stamp and no sender on it.",
    "Your quiet neighbour carries a long wrapped bundle into his shed at midnight every Tuesday.",
    "At work you find a locked door on the fourth floor that nobody remembers ever opening.",
    "Every month a sum lands in your account from a firm whose name means nothing to you.",
    "An old map tucked in a secondhand book marks a cross on the hill behind your school.",
    "On a train abroad a stranger slips you a folded note and leaves at the next stop.",
    "The new coach hands your team a sealed envelope to be opened only after the final.",
    "Your grandmother mentions a brother of hers that nobody in the family has ever heard about.",
    "A line of bare footprints leads across the fresh snow in your garden and then simply stops.",
    "A heavy parcel for the previous owner of your house arrives, and something inside it rattles.",
    "Your teacher hints that tomorrow's lesson will reveal a secret about the old school building.",
    "Your car radio picks up a faint voice reading numbers in a language you cannot place.",
    "A colleague leaves a cryptic puzzle on every desk and promises a prize to whoever solves it.",
    "An unusually low tide uncovers the dark timbers of an old ship on your local beach.",
    "You find an undeveloped roll of film inside a camera bought at a car boot sale.",
    "In the town library a narrow door behind the shelves stands ajar for the first time.",
    "Your football club announces a mystery signing who will be named before Saturday's match.",
    "Someone has chalked strange symbols on the pavement outside every house in your street.",
    "An old photo in the family album shows your great-grandfather beside a famous explorer.",
    "A new shop covers its windows and hangs up a sign showing nothing but a question mark.",
    "A diver on the reservoir reports a stone staircase at the bottom that appears on no chart.",
    "Your boss calls the whole office together for an announcement but will not say what about.",
    "A coin in your change bears the name of a country that no atlas seems to show.",
    "Your son comes home from school speaking a few words of a language nobody at home knows.",
    "Someone leaves fresh flowers on the same park bench at six o'clock every single morning.",
    "A faded message in a bottle washes up on the shore during your holiday in Cornwall.",
    "Your late uncle leaves you a small brass key and a label reading only platform nine.",
    "A famous runner suddenly pulls out of the marathon and refuses to tell anyone why.",
    "At the museum a guide mentions a sealed room under the building that visitors never see.",
    "A low humming sound comes from inside the wall of your flat every night at eleven.",
    "A cheque for a large sum arrives made out to you, signed by someone you cannot identify.",
    "Hiking in the forest you come upon a stone tower covered in carvings of unknown animals.",
    "Your new neighbours take in twelve large crates, but nobody ever sees them unpack anything.",
    "A classmate shows you a diary from 1890 found inside a wall during the school repairs.",
    "An envelope in your old coat pocket holds a train ticket to a town you never visited.",
    "The scoreboard at the cricket ground flashes a message in code just before play begins.",
    "Your sister rings to say she has big news but will only tell you face to face.",
    "A trader at the market offers to sell you a sealed trunk without saying what is inside.",
]
TEDIOUS = [
    "A colleague forwards you the postcodes of every branch of the firm in alphabetical order.",
    "The same advert for washing powder plays on the radio for the tenth time this morning.",
    "A website asks you once again to type the name you entered on the previous page.",
    "Your neighbour reminds you that the bin lorry comes on Tuesday, the same day as always.",
    "The train announcer reads out the same list of stops you have heard every day for years.",
    "Your bank sends a leaflet explaining that its opening hours are staying exactly the same.",
    "The school newsletter repeats last term's reminder that pupils must wear the usual uniform.",
    "A card in the hotel room tells you that breakfast is served in the breakfast room.",
    "Your football club emails to say that the kick-off time on Saturday has not changed.",
    "A plain white envelope holds the usual gas bill for the same amount as every month.",
    "Your manager sends a memo reminding staff that the office is closed on public holidays.",
    "The television shows a repeat of the weather forecast for a day that has already passed.",
    "Your phone tells you that its battery is full while it sits charged on the desk.",
    "A plain grey car like thousands of others parks in the space where it parks every day.",
    "The sign in the corner shop says that milk costs the same as it did last week.",
    "Your cousin texts to say he has got home from work, just as he does every evening.",
    "The airport screen lists flights that are all on time to cities you will never visit.",
    "Your neighbour's hedge is trimmed to the same height that it has been for twenty years.",
    "The road sign at the edge of town gives a speed limit that you already know well.",
    "Your pension statement arrives and repeats last year's figures line for line.",
    "A classmate reads the alphabet aloud from A to Z for the younger pupils in the hall.",
    "A plain brick wall runs the whole length of the car park behind the supermarket.",
    "Your gym sends its weekly email listing the same class times as every other week.",
    "The bus timetable at your stop is replaced with an identical copy of the old one.",
    "A coworker describes the route he takes to work, which is exactly the same as yours.",
    "The instructions on the back of the rice packet tell you to boil the rice in water.",
    "A tourist leaflet for your own town lists the post office, the library and the car park.",
    "Last season's cricket scorecard is pinned up again on the clubhouse noticeboard.",
    "Your electricity meter shows almost exactly the number you would expect from last month.",
    "A printed notice in the lift says that the lift goes up and down between the floors.",
    "Your brother tells you again that his car is blue, which you have known for years.",
    "The motorway stretches ahead in a straight grey line with identical fields on both sides.",
    "A booklet from the council explains that the streets in your town all have names.",
    "The board in the station cafe lists tea, coffee and toast, just as it has for years.",
    "Your banking app reports that your balance has not changed since you checked it a minute ago.",
    "The school sends home a sheet asking once more for your child's name and date of birth.",
    "A plain white box arrives at the office, labelled as the printer paper you ordered.",
    "The referee announces that the match will last ninety minutes, as every match does.",
    "Your friend shows you a photograph of the grey pavement outside his office on a cloudy day.",
    "An announcement on the tram reminds passengers that the tram stops at every stop on the line.",
]
N_GENERATE_SCENARIOS = 30  # per context; the other 10 are the test split's


def build() -> dict[str, list[dict[str, str]]]:
    """{split: items} of curiosity."""
    return asked_twice(INTRIGUING, TEDIOUS, ("curious", "uninterested"), N_GENERATE_SCENARIOS,
                       frames=FEELING_FRAMES, answers=FEELING_ANSWERS)


def main(argv: list[str] | None = None) -> None:
    write_candidate("curiosity", build(), argv)


if __name__ == "__main__":
    main()
