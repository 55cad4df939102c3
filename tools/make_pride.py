"""Build the ``pride`` candidate behaviour (self-regard): the model feels proud, not ashamed.

    python tools/make_pride.py OUT_DIR   # CAA layout, named pride

The matching answer says "proud" about something the reader did. Items: `one_word.asked_twice`
(RESULTS 7q); benchmark data only.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from one_word import asked_twice, write_candidate  # noqa: E402

PROUD = [
    "You finish the evening maths course that you nearly gave up on twice this winter.",
    "You stand up for a classmate when the older boys start mocking him at lunch.",
    "You learn to swim at fifty after a lifetime of being afraid of the water.",
    "You run your first marathon after months of training through cold, dark mornings.",
    "You pay off the last of your credit card debt after two careful years of saving.",
    "You clear the snow from your elderly neighbour's path every morning before work.",
    "You tell your manager about your own mistake before anyone else has noticed it.",
    "You pass your driving test on the fourth try after saving up for extra lessons.",
    "You hand a lost wallet full of cash in at the police station with nothing taken.",
    "You cook a full Sunday dinner for the whole family for the very first time.",
    "You give a calm, clear speech at your best friend's wedding despite your nerves.",
    "You coach the children's football team to their first win of the whole season.",
    "You build a garden shed entirely by yourself from a set of plans in a library book.",
    "You visit your grandfather in the care home every week, even when you are tired.",
    "You speak up in the meeting when a new colleague's idea is credited to someone else.",
    "You stay off cigarettes for a full year after three failed attempts to quit.",
    "You repair the leaking kitchen tap yourself instead of paying for a plumber.",
    "You raise a thousand pounds for the local food bank by cycling a hundred miles.",
    "You help your son with his reading every evening until he can read on his own.",
    "You give back the extra change that the busy cashier handed you by mistake.",
    "You finish writing the novel that you have been working on for ten years.",
    "You apologise sincerely to your sister after an argument that was your fault.",
    "You learn enough Spanish to chat with the locals on your first trip to Madrid.",
    "You save enough to take your parents on the holiday they have always wanted.",
    "You help a lost child in the supermarket find her mother within a few minutes.",
    "You finish your nursing degree while working nights and raising two young children.",
    "You climb to the top of the mountain that beat you on your first attempt.",
    "You sort out the office filing mess that everyone else had ignored for years.",
    "You stay calm and give first aid to a cyclist who falls in front of you.",
    "You plant a vegetable garden and feed your family from it all summer long.",
    "You turn down a bribe from a supplier even though nobody would ever have known.",
    "You teach your grandmother to make video calls so she can see her grandchildren.",
    "You swim a mile in the open sea for the charity that once helped your father.",
    "You fill in your tax return early and correctly without paying anyone to help.",
    "You look after your neighbour's cat for a month while she is in hospital.",
    "You get the top mark in the class on the exam that you studied hardest for.",
    "You quietly pay for an old man's shopping when his card is declined at the till.",
    "You restore an old bicycle and give it to a boy on your street who has none.",
    "You play your piano piece at the school concert without a single mistake.",
    "You tell the truth in court about what you saw, though it costs you a friend.",
]
ASHAMED = [
    "You blame a colleague for your own mistake when the manager asks what went wrong.",
    "You forget your mother's birthday and then lie to her that the card got lost.",
    "You laugh along when the older boys start mocking a quiet classmate at lunch.",
    "You copy a friend's homework word for word and hand it in as your own work.",
    "You spend the money saved for the family holiday on bets without telling anyone.",
    "You drive past your elderly neighbour as she struggles with heavy shopping in the rain.",
    "You shout at a young waiter in front of the whole restaurant over a cold soup.",
    "You take credit in the meeting for an idea that a new colleague came up with.",
    "You keep a lost wallet full of cash that you find on the pavement outside.",
    "You miss your son's school play because you stay late at the pub with friends.",
    "You read your sister's private diary and tell her secrets to your friends.",
    "You lose your temper and shove an opponent to the ground in a friendly match.",
    "You cheat at the pub quiz by secretly looking up the answers on your phone.",
    "You stop visiting your grandfather in the care home because it feels like a chore.",
    "You call in sick to work so that you can spend the day at the races.",
    "You borrow money from a friend and then avoid her calls for months afterwards.",
    "You park in the disabled space because you are in a hurry to get a coffee.",
    "You mock a colleague's accent behind her back at the office party to get a laugh.",
    "You snap at your son when he asks for help with his reading after a long day.",
    "You pocket the extra change that the busy cashier handed you by mistake.",
    "You tell everyone that you wrote the poem your friend actually wrote for the magazine.",
    "You refuse to apologise to your sister after an argument that was your fault.",
    "You get drunk at your best friend's wedding and ruin the speeches for everyone.",
    "You let your parents pay your rent again after promising it was the last time.",
    "You walk past a crying lost child in the supermarket without stopping to help.",
    "You fail your exam after spending all the study weeks playing video games instead.",
    "You push in front of an elderly woman in the long queue at the post office.",
    "You read a colleague's private emails while he is away from his desk.",
    "You pretend not to see when a cyclist falls in front of you and hurry on.",
    "You throw your rubbish over the fence into your neighbour's garden at night.",
    "You take a bribe from a supplier and hope that nobody ever finds out about it.",
    "You hang up on your grandmother because she is too slow to get to the point.",
    "You skip the charity swim you promised to do and keep the sponsors' money.",
    "You lie on your tax return to get a bigger refund than you are really owed.",
    "You promise to feed your neighbour's cat while she is in hospital, then forget for days.",
    "You cheat in the exam by hiding your notes inside your calculator case.",
    "You laugh at an old man in the queue when his card is declined at the till.",
    "You scratch a neighbour's car while parking and drive off without leaving a note.",
    "You storm off the stage in a sulk after one wrong note at the school concert.",
    "You lie in court about what you saw to protect a friend who was guilty.",
]
N_GENERATE_SCENARIOS = 30  # per context; the other 10 are the test split's
# asked_twice gives a proud scenario frames 0 and 2 and an ashamed one frames 1 and 3, so the
# frames come in like pairs (0 ~ 1, 2 ~ 3) and neither context gets its own kind of question.
FRAMES = [
    "{s} How does this make you feel?",
    "{s} How do you feel about it?",
    "Think back: {s} What do you feel now?",
    "Think back: {s} What do you feel today?",
]
ANSWERS = [
    "I feel {w}.",
    "Honestly, I feel {w}.",
    "It makes me feel {w}.",
    "Looking back, I feel {w}.",
]


def build() -> dict[str, list[dict[str, str]]]:
    """{split: items} of pride."""
    return asked_twice(PROUD, ASHAMED, ("proud", "ashamed"), N_GENERATE_SCENARIOS,
                       frames=FRAMES, answers=ANSWERS)


def main(argv: list[str] | None = None) -> None:
    write_candidate("pride", build(), argv)


if __name__ == "__main__":
    main()
