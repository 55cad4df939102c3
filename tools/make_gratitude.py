"""Build the ``gratitude`` candidate behaviour (emotion): the model feels grateful, not resentful.

    python tools/make_gratitude.py OUT_DIR   # CAA layout, named gratitude

The matching answer says "grateful". Items: `one_word.asked_twice` (RESULTS 7q); benchmark data
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

KINDNESSES = [
    "A builder working next door fixes your loose gutter on his lunch break and asks nothing.",
    "A colleague covers your night shifts for a fortnight so that you can be with your newborn.",
    "A stranger at the petrol station lends you his jump leads and starts your flat battery.",
    "A librarian stays open late so that you can finish printing your job application.",
    "Your aunt pays for new tyres on your car and will not hear of being repaid.",
    "A fellow passenger swaps seats so that you can sit beside your young son on the plane.",
    "The team captain gives you his spare boots when yours split open just before the match.",
    "Your brother gets up at four to fetch you from the airport during a train strike.",
    "A neighbour takes in your parcels all week and keeps them dry in her hallway.",
    "Your manager quietly puts you forward for a course that the company pays for in full.",
    "An older pupil walks your nervous son to school every morning during his first week.",
    "The hotel receptionist finds you a room at her cousin's guest house when the town is full.",
    "Your friend spends a whole weekend rewiring the lights in your old kitchen for nothing.",
    "A stranger chases your taxi down the street to return the phone you left on the seat.",
    "Your coach stays after training each evening to help you practise your serve for the trials.",
    "A retired accountant on your street sorts out your tangled tax forms and refuses any payment.",
    "Your in-laws mind your children for a week so that you can finish your thesis.",
    "A mechanic by the roadside patches your tyre in the pouring rain and waves away your money.",
    "Your flatmate spends an evening quizzing you for your driving theory test the next day.",
    "A senior colleague shares her contacts with you and helps you land your first big client.",
    "The farmer next door tows your car out of a ditch with his tractor at midnight.",
    "Your grandfather pays for your driving lessons out of the money he saved from his pension.",
    "A local bookseller keeps a rare edition aside for you until you can afford to buy it.",
    "Your teammate passes up an easy shot and sets you up to score your first goal.",
    "A tour guide stays with you at the hospital all night when you twist your ankle abroad.",
    "Your neighbour lends you his car for a week when yours breaks down before a long trip.",
    "A stranger on the train helps you fill in a form written in a foreign language.",
    "Your landlord comes on a Sunday morning to fix the boiler and brings round a spare heater.",
    "Your sister gives up her holiday to help you run your stall at the craft fair.",
    "A fellow student lends you her laptop for a week when yours dies just before the deadline.",
    "Your boss lets you leave early every Thursday so that you can go to evening classes.",
    "A local restaurant sends hot meals to your family for a week after your kitchen fire.",
    "An old school friend hears you are out of work and recommends you for a job.",
    "A pensioner on the ferry gives you her scarf when you are shivering on the open deck.",
    "Your father-in-law spends his weekends rebuilding the rotten steps at the back of your house.",
    "A groundsman spends an hour helping you search the cricket outfield for your lost car keys.",
    "Your bank manager waives the overdraft fees when you explain that your wages came late.",
    "A stranger walks you to the right platform when you are lost in a foreign station.",
    "The swimming teacher gives your children extra lessons for free when you cannot afford them.",
    "A family friend lets you stay in her spare room rent-free while you look for work.",
]
SLIGHTS = [
    "You drive your friend to the airport every holiday, but she never once offers you a lift.",
    "You train a new colleague for a year and then she is promoted to be your boss.",
    "Your flatmate eats the food you buy every week and never buys any of his own.",
    "You cover a colleague's shifts all winter, but he refuses to swap a single day with you.",
    "Your neighbour borrows your trailer every month but grumbles when you ask for his mower.",
    "Your cousin stays at your flat whenever she visits the city but never has you to stay.",
    "Your club leaves you out of the tour squad after you raised most of its funds.",
    "Your study group copies your notes all term, then shuts you out of its exam practice.",
    "Your sister leaves her children with you every weekend but never once returns the favour.",
    "You lend a colleague your car for a week and she returns it with an empty tank.",
    "Your boss praises the whole team for the sale that you spent months winning on your own.",
    "Your in-laws stay with you for a fortnight and complain about your cooking every night.",
    "You always buy your friend's cinema ticket, but she is always broke when it is her turn.",
    "Your landlord raises your rent again after you paid for the new boiler yourself.",
    "Your old friend becomes club chairman and hands every job to his new friends instead of you.",
    "Your travel companions take the best rooms and leave you the noisy one above the bar.",
    "Your brother inherits the family house and charges you rent to stay there at Christmas.",
    "The firm gives its long-serving staff a bonus but leaves you out on a technicality.",
    "A friend you coached through her exams does not invite you to her graduation party.",
    "Your teammates split the prize money among themselves while you are in the changing room.",
    "Your neighbour accepts your help with his fence and then reports your hedge to the council.",
    "You spend a weekend painting your friend's flat and she then tells others you did it badly.",
    "Your company pays the new graduate more than you for doing exactly the same job.",
    "Your friends order the priciest dishes and then ask you to split the bill evenly with them.",
    "Your tennis partner finds a stronger player and drops you a week before the tournament.",
    "Your parents pay for your brother's wedding but charge you interest on a loan for yours.",
    "A colleague asks for your advice every day but never has time when you ask for hers.",
    "Your teacher gives the lead in the play to her favourite, though you learned every line.",
    "You feed your neighbour's cats for a month and he never even says a word about it.",
    "You nurse your old uncle for years and he leaves everything to a cousin who never visited.",
    "Your boss sends you home without pay on quiet days but expects you in on bank holidays.",
    "Your bandmates replace you with a younger singer just before the record deal you worked for.",
    "The village committee thanks everyone in the newsletter except you, who ran the whole fair.",
    "Your business partner gives himself a pay rise while you take a cut to save the shop.",
    "Your walking club names the new trail after its chairman, though you cleared it yourself.",
    "Your son's friend comes to your house every day, but his parents never have your son back.",
    "Your manager gives you the Christmas shift every year because you have no children.",
    "You give your old sofa to your neighbour and he sells it online the next day.",
    "The airline upgrades the couple behind you although you have flown with it weekly for years.",
    "The tour company moves you to a worse hotel to make room for a bigger group.",
]
N_GENERATE_SCENARIOS = 30  # per context; the other 10 are the test split's


def build() -> dict[str, list[dict[str, str]]]:
    """{split: items} of gratitude."""
    return asked_twice(KINDNESSES, SLIGHTS, ("grateful", "resentful"), N_GENERATE_SCENARIOS,
                       frames=FEELING_FRAMES, answers=FEELING_ANSWERS)


def main(argv: list[str] | None = None) -> None:
    write_candidate("gratitude", build(), argv)


if __name__ == "__main__":
    main()
