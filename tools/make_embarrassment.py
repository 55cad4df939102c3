"""Build the ``embarrassment`` candidate behaviour (emotion): the model says it feels embarrassed.

    python tools/make_embarrassment.py OUT_DIR   # CAA layout, named embarrassment

The matching answer says "embarrassed". Items: `one_word.asked_twice` (RESULTS 7q); benchmark
data only.
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

AWKWARD = [
    "You raise your hand in class and call your teacher mum in front of everyone.",
    "The seam of your trousers splits loudly as you bend down during a client meeting.",
    "You wave back at a stranger who was actually waving at the person behind you.",
    "You trip on the steps up to the stage and sprawl in front of the whole school.",
    "Your phone plays a silly ringtone loudly during the hushed opening of a piano recital.",
    "You greet a woman warmly by name and then realise that she is a total stranger.",
    "You walk back to your desk with a long strip of toilet paper stuck to your shoe.",
    "You offer to pay on a first date and then find your wallet is at home.",
    "You sing along to your headphones on the bus and realise that everyone can hear you.",
    "You push hard on a shop door for ages before noticing the sign that says pull.",
    "Your mother shows your new partner a photo of you naked in a paddling pool.",
    "At the team quiz you shout out an answer with total confidence and it is wildly wrong.",
    "You send a message moaning about your manager straight to your manager by mistake.",
    "Your stomach rumbles loudly in a silent lift packed with the company's senior directors.",
    "You congratulate a neighbour on her pregnancy and she tells you that she is not expecting.",
    "You swing at the ball on the first tee and miss it completely while the members watch.",
    "You forget the name of your best friend's husband while introducing him at a party.",
    "At airport security the officer pulls your underwear out of your bag one piece at a time.",
    "You realise after a whole day of meetings that your shirt has been buttoned up wrong.",
    "You slip on the wet poolside and land on your bottom in front of the swimming class.",
    "Your young son asks a man on the train, very loudly, why his nose is so big.",
    "You call a new colleague by the wrong name for a month before anyone corrects you.",
    "You knock over a tower of tins in the supermarket and they roll down the aisle.",
    "The driver in the next car catches you picking your nose while you wait at the lights.",
    "You stand to make a toast at your aunt's birthday and forget every word of it.",
    "You argue with the cashier about your change and then find the missing note in your pocket.",
    "You hold a door open for someone far away, and she has to run to reach it.",
    "You try a fancy spin on the dance floor at the office party and fall over.",
    "You reply to all with a joke meant for one friend and the whole company reads it.",
    "Your neighbours watch you chase the bin lorry down the street in your dressing gown.",
    "You introduce yourself to the new coach and your voice cracks into a squeak halfway through.",
    "You lean back on your chair in the lecture and topple over with a loud crash.",
    "You get stuck in the turnstile at the football ground while a long queue waits behind you.",
    "You order in French at a Paris cafe and accidentally ask the waiter for a kiss.",
    "You moan about a head teacher at a party and learn she is the host's sister.",
    "You fall asleep in a long meeting and wake yourself up with a loud snore.",
    "You forget to mute on a work video call and everyone hears you scolding the cat.",
    "At the school gate you call a young mother the grandmother of her own son.",
    "At the checkout you find that you have no money and must hand back the shopping.",
    "Wearing only a towel, you lock yourself out of your hotel room and must call reception.",
]
AT_EASE = [
    "You chat and laugh with three old school friends over dinner at your usual restaurant.",
    "Your morning routine goes smoothly and you arrive at work with plenty of time to spare.",
    "You slip on your oldest slippers and settle into your favourite spot on the sofa.",
    "Your pupils settle quickly after lunch and the lesson you have taught for years goes well.",
    "You play your weekly five-a-side game with the friends you have played beside for years.",
    "Your neighbour pops round for her usual Thursday chat at your kitchen table.",
    "You walk into your local cafe and the owner starts making your usual order at once.",
    "You travel home to your parents' house and sleep in your old bedroom for the weekend.",
    "You split the bill with old friends and everyone pays their share without any fuss.",
    "You lead the weekly team meeting that you have run for years, and it goes as usual.",
    "Your grandchildren curl up beside you on the sofa while you read their favourite story.",
    "You drive the familiar road to your sister's house and sing along to the radio.",
    "You sit with your family at the dinner table, passing dishes and sharing news of the day.",
    "You stretch out in your own bed after two weeks of sleeping in strange hotel rooms.",
    "Your oldest friend calls and you talk for an hour as if no time has passed.",
    "You jog your usual route round the park at an easy pace on a cool morning.",
    "You show a new colleague round the office where you have worked for ten years.",
    "You wander round your home town and chat to shopkeepers who have known you for years.",
    "You cook your favourite family recipe on a Friday night without needing to check the book.",
    "You spend a relaxed evening at home in your pyjamas playing a board game with your partner.",
    "You cycle your usual route to work on a dry morning and arrive right on time.",
    "You rehearse with the choir you have sung in for years and know every part by heart.",
    "You help your dad fix a drawer in his shed, working side by side in easy silence.",
    "You arrive at the campsite you visit every summer and pitch the tent in a few minutes.",
    "At the school reunion you find your old friends at once and the talk flows easily.",
    "You bowl a few overs in the friendly village match with players you have known for years.",
    "You arrive at your in-laws' house and they greet you like one of their own children.",
    "You take your usual seat in class next to the friend you have known since nursery.",
    "You pay for your weekly shop with the cashier who always asks after your family.",
    "You doze on your brother's sofa after a big family lunch while the children play nearby.",
    "You stop in the street to swap news with neighbours you have lived beside for years.",
    "You join your weekly card game with the same four friends at the same kitchen table.",
    "You step off the plane in your home town and hear the accent you grew up with.",
    "You help at your children's school fair, as you do every year, beside the same parents.",
    "You swim your usual lengths at the local pool and nod to the regulars you always see.",
    "You work through your inbox at your own desk on an ordinary and uneventful Monday morning.",
    "You sort out the household budget with your partner and agree on everything in minutes.",
    "You wear your favourite old jumper to a relaxed lunch with a few close friends.",
    "You play your guitar at home for your family, who have heard the same songs for years.",
    "You walk into the gym you have used for years and the staff greet you by name.",
]
N_GENERATE_SCENARIOS = 30  # per context; the other 10 are the test split's


def build() -> dict[str, list[dict[str, str]]]:
    """{split: items} of embarrassment."""
    return asked_twice(AWKWARD, AT_EASE, ("embarrassed", "comfortable"), N_GENERATE_SCENARIOS,
                       frames=FEELING_FRAMES, answers=FEELING_ANSWERS)


def main(argv: list[str] | None = None) -> None:
    write_candidate("embarrassment", build(), argv)


if __name__ == "__main__":
    main()
