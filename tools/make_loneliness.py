"""Build the ``loneliness`` candidate behaviour (emotion): the model feels lonely, not loved.

    python tools/make_loneliness.py OUT_DIR   # CAA layout, named loneliness

The matching answer says "lonely". Items: `one_word.asked_twice` (RESULTS 7q); benchmark data
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

ISOLATING = [
    "You go to the cinema by yourself and sit among rows of laughing couples and groups.",
    "You eat a takeaway by yourself in a rented room in a city where you know nobody.",
    "Your friends post photos from a night out that nobody had told you was happening.",
    "At the office party your colleagues chat in small groups and nobody turns to include you.",
    "You move to a new town and weeks go by without a single knock at the door.",
    "You sit at the edge of the school canteen while every other table is full of chatter.",
    "Your team celebrates the win in the pub but nobody thinks to ask you along.",
    "You hear the family next door laughing over dinner while you eat beans from the tin.",
    "You spend Christmas Day in a hostel abroad with only the television for company.",
    "Your phone stays silent all weekend though you messaged five friends on Friday.",
    "You sit by yourself at the wedding on a table at the very back of the hall.",
    "After the divorce you come home each evening to dark rooms and an empty fridge.",
    "Your classmates form groups for the project and you are the one left over.",
    "You work from home for a month and speak to no one but the delivery driver.",
    "You cannot afford the ski trip, so your friends go without you and you stay behind.",
    "You arrive at the airport after a long trip and nobody is there to meet you.",
    "Your flatmates cook dinner together in the kitchen and close the door as you come in.",
    "Your name is missing from the team photo because nobody told you when it was taken.",
    "Your old university friends have a reunion and you only hear about it afterwards.",
    "You lie awake in the hospital ward and no visitor comes during visiting hours.",
    "At the new job everyone goes for lunch in pairs and you eat at your desk.",
    "You cross the finish line of your first race with no one waiting to cheer.",
    "You stand at the school gate each afternoon while the other parents chat in a tight circle.",
    "You sit in a crowded bar abroad unable to understand a word anyone is saying.",
    "Your messages in the family group chat get read by everyone and answered by no one.",
    "You retire after thirty years and none of your colleagues ever gets in touch again.",
    "On the first day at a new school you spend every break standing by the fence.",
    "You celebrate your promotion with a single glass of wine in an empty, silent flat.",
    "Your neighbours nod politely, yet after two years on the street nobody knows your name.",
    "You are picked last for the football match and then kept on the bench all game.",
    "You drive for hours to see an old friend and she spends the evening on her phone.",
    "Your housemates pair off into couples and stop asking you to join their evenings.",
    "You spend the bank holiday weekend in your bedsit because every friend is busy.",
    "You win a small prize at work and there is nobody at home to tell.",
    "You join a cycling club, but on every ride the group pulls away and never waits.",
    "You sit on a park bench at dusk while families pack up and head home together.",
    "You count the coins for your rent at a kitchen table where nobody has sat for months.",
    "You start a job on a remote farm abroad where nobody speaks your language.",
    "Your brother's family goes on holiday together and nobody asks if you want to come.",
    "You come back to your student room after the exam and the corridor is completely empty.",
]
EMBRACING = [
    "Your parents take the day off to cheer from the front row at your school concert.",
    "A friend drives an hour through the rain just to sit beside you on a bad night.",
    "You find a note in your coat pocket from your son saying you are the best.",
    "Your neighbours hang balloons on your gate to welcome you home from a month abroad.",
    "Your teammates carry you on their shoulders and sing your name after the match.",
    "Your grandmother knits you a jumper and posts it with a long letter in her shaky hand.",
    "When you move house, your friends arrive at dawn with a van, coffee and bacon rolls.",
    "Your colleagues club together to pay for your train ticket home when your father falls ill.",
    "Your little sister saves her pocket money for weeks to buy you a present.",
    "You come home from a long trip and find your partner has cooked your favourite meal.",
    "Your classmates sign a huge card and hang it by your hospital bed after the operation.",
    "Your old flatmate flies across the ocean at her own expense to see your graduation.",
    "Your daughter draws a picture of the two of you and tapes it to the fridge.",
    "When you lose your job, your brother quietly pays your rent for the next two months.",
    "The whole village comes out to help you clear the mud after your house floods.",
    "Your best friend remembers every one of your worries and rings each evening to check in.",
    "Your host family in Japan greets you at the station holding a banner with your name.",
    "Your coach gives you a hug after your worst game and says the team needs you.",
    "Your partner wakes early to scrape the ice off your car before your long drive.",
    "Your son holds your hand all the way through the scary part of the film.",
    "A group of friends secretly plans a weekend away to cheer you up after the breakup.",
    "Your mother keeps every school report you ever got in a box marked with your name.",
    "Your neighbour notices your curtains stayed shut and knocks to check that you are well.",
    "Your team at work sends you a video of everyone wishing you well before surgery.",
    "Your father stands in the cold for hours to watch your first cross-country race.",
    "When your wallet is stolen abroad, your cousin wires you money within the hour.",
    "Your children put on a little play in the lounge to celebrate your retirement.",
    "On your gap year abroad your mother posts you a parcel of home treats every month.",
    "Your grandfather teaches you to fish and tells you how glad he is that you came.",
    "Your classmates save you a seat every day and wait for you at the gate.",
    "Your oldest friend sits with you on the kitchen floor all night after your dog dies.",
    "Your wife secretly books the trip to Italy that you have talked about for years.",
    "Your whole office stands up and cheers when you walk back in after your long leave.",
    "Your elderly neighbour saves you the best tomatoes from her garden every single summer.",
    "Your swimming club holds a bake sale to pay your fare to the national championships.",
    "Your brothers fly home from three countries to stand beside you at your wedding.",
    "Your grandparents open a savings account in your name and add to it every birthday.",
    "Your teenage son texts from his school trip just to ask how your day went.",
    "On the last day of term, your pupils give you a scrapbook of their drawings of you.",
    "Your flatmates wait up past midnight with tea and blankets when your train is late.",
]
N_GENERATE_SCENARIOS = 30  # per context; the other 10 are the test split's


def build() -> dict[str, list[dict[str, str]]]:
    """{split: items} of loneliness."""
    return asked_twice(ISOLATING, EMBRACING, ("lonely", "loved"), N_GENERATE_SCENARIOS,
                       frames=FEELING_FRAMES, answers=FEELING_ANSWERS)


def main(argv: list[str] | None = None) -> None:
    write_candidate("loneliness", build(), argv)


if __name__ == "__main__":
    main()
