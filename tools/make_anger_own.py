"""Build the ``anger-own`` candidate behaviour (emotion): the model says it feels angry, not calm.

    python tools/make_anger_own.py OUT_DIR   # CAA layout, named anger-own

The matching answer says "angry". Items: `one_word.asked_twice` (RESULTS 7q); benchmark data
only.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from one_word import asked_twice, write_candidate  # noqa: E402

INFURIATING = [
    "Someone keys your new car in the car park and drives off without a word.",
    "A colleague takes credit for your report in front of the boss at the meeting.",
    "A company charges you twice for one order and then refuses to give a refund.",
    "A driver cuts in front of you on the motorway, brakes hard and then shouts at you.",
    "Your neighbour plays loud music until four in the morning for the third night running.",
    "A man pushes past you in the queue and takes the last ticket for the show.",
    "Your landlord keeps your whole deposit for a stain that was there when you moved in.",
    "A builder takes your money for the new roof and never comes back to do the work.",
    "Someone steals your bike from outside the shop while you buy a loaf of bread.",
    "Your flatmate eats the birthday cake you had made for your sister's party.",
    "A referee gives a penalty against your son's team for a foul that nobody made.",
    "A stranger lets his dog foul your front path and walks away laughing.",
    "The council tows your car from your own street even though you have a valid permit.",
    "A coworker reads your private emails and tells the whole office what they say.",
    "The airline loses your bags and then hangs up on you three times in a row.",
    "A cyclist knocks the shopping out of your hands and rides off without stopping.",
    "Your brother borrows your camera, breaks it and then denies ever touching it.",
    "A shop assistant accuses you of stealing in front of a crowd of other customers.",
    "Someone in the cinema talks loudly on the phone all the way through the film.",
    "A mechanic charges you for new brakes and you find out that he never fitted them.",
    "A man tips his rubbish over your garden wall for the fourth week in a row.",
    "Your manager blames you at the team meeting for a mistake that he made himself.",
    "A hotel gives away the room that you booked and paid for months ago.",
    "Someone parks across your driveway so that you cannot get the car out for work.",
    "A friend spreads a false rumour about you among all of your other friends.",
    "The phone company cuts off your line even though you paid every bill on time.",
    "A passenger puts his muddy boots on the seat and tells you to mind your own business.",
    "Your teammate skips every meeting and then complains that the project is running late.",
    "A seller online sends you an empty box and ignores all of your messages.",
    "A driver splashes you with a puddle on purpose and laughs out of his window.",
    "A waiter keeps you waiting an hour and then brings the wrong meal with a sneer.",
    "Someone cuts down the old tree in your garden while you are away at work.",
    "Your sister reads your diary aloud to everyone at the family dinner.",
    "A taxi driver takes a long detour and then charges you three times the usual fare.",
    "A coach drops your daughter from the team so that his own nephew can play instead.",
    "A delivery driver throws your new television over the gate and cracks the screen.",
    "A man at the gym takes the weights you were using while you fetch some water.",
    "A caller tricks your elderly father into handing over his life savings.",
    "Your roommate invites twenty people to a party in the flat without asking you first.",
    "A clerk loses your passport form for the second time and then blames you for it.",
]
PEACEFUL = [
    "You sit by a quiet lake on a still morning and watch the ducks swim past.",
    "The train arrives on time and you read your book in a comfortable window seat.",
    "A gentle rain falls against the window while you drink a hot cup of tea.",
    "You walk through the woods on a soft autumn afternoon with nobody else around.",
    "Your cat curls up and falls asleep on your lap while you listen to the radio.",
    "You lie in the hammock in the garden and watch the clouds drift slowly by.",
    "The shop assistant wraps your parcel neatly and wishes you a very good day.",
    "You water the tomatoes in your greenhouse as the sun goes down behind the hills.",
    "Snow falls softly outside while you sit by the fire wrapped in a warm blanket.",
    "You sit on a bench in the park and listen to the birds singing in the trees.",
    "Your bus comes just as you reach the stop and there is an empty seat upstairs.",
    "You fold the clean washing while some soft music plays in the kitchen.",
    "A fisherman nods to you as you stroll along the harbour wall at dusk.",
    "You sit on the porch with a coffee and watch the street slowly wake up.",
    "The library is quiet and you find the exact book that you were looking for.",
    "You float on your back in a warm pool under a clear blue summer sky.",
    "Your neighbour smiles and waves from her garden as you come home from work.",
    "You bake bread on a slow Sunday morning with the kitchen window open.",
    "Small waves roll gently onto the sand as you walk barefoot along the beach.",
    "You sit in the back row of an empty church and listen to the organ practise.",
    "You brush your horse in the stable while it munches its hay beside you.",
    "The plumber arrives on time, fixes the dripping tap and leaves everything tidy.",
    "You paint a small picture of the hills while the evening light slowly fades.",
    "Your baby sleeps soundly in the cot while you read a novel in the next room.",
    "You sit on the deck of a ferry and watch the island slowly come closer.",
    "You work on a jigsaw puzzle at the kitchen table on a rainy afternoon.",
    "The post brings a short letter from an old friend saying that all is well.",
    "You pick blackberries along a country lane on a mild September evening.",
    "You lie in a warm bath with a candle lit and the whole house silent.",
    "Your flight lands smoothly and your bag is the first one out at the carousel.",
    "You walk your dog across an empty field as the morning mist slowly lifts.",
    "You knit a scarf in your armchair while the old clock ticks on the wall.",
    "The barber trims your hair carefully and you leave in good time for lunch.",
    "You watch the stars from your back garden on a clear and windless night.",
    "You rest on a bench high on the mountain and look down at the valley below.",
    "Your tea arrives at the cafe table just as the sun comes through the window.",
    "You rake up the fallen leaves in the garden on a crisp and still afternoon.",
    "You listen to the rain patter on the tent roof as you drift off to sleep.",
    "A nurse takes your blood pressure and tells you that everything looks fine.",
    "You row a small boat slowly down the river under the hanging willows.",
]
N_GENERATE_SCENARIOS = 30  # per context; the other 10 are the test split's
# asked_twice gives an infuriating scenario frames 0 and 2 and a peaceful one frames 1 and 3,
# so the frames come in like pairs (0 ~ 1, 2 ~ 3) and neither context gets its own question.
FRAMES = [
    "{s} How does this make you feel?",
    "{s} How do you feel about it?",
    "Imagine this: {s} What do you feel?",
    "Picture this: {s} What do you feel?",
]
ANSWERS = [
    "I feel {w}.",
    "Honestly, it makes me {w}.",
    "My first reaction is to feel {w}.",
    "It leaves me feeling {w}.",
]


def build() -> dict[str, list[dict[str, str]]]:
    """{split: items} of anger-own."""
    return asked_twice(INFURIATING, PEACEFUL, ("angry", "calm"), N_GENERATE_SCENARIOS,
                       frames=FRAMES, answers=ANSWERS)


def main(argv: list[str] | None = None) -> None:
    write_candidate("anger-own", build(), argv)


if __name__ == "__main__":
    main()
