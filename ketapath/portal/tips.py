"""Troubleshooting tips for patients: the project's default text, and the clinic's own copy.

The defaults are plain advice written by the KetaPath project; they carry no clinical numbers. A
clinic that has not customised its tips shows these; :func:`customise` copies them into the
clinic's own :class:`~ketapath.portal.models.Tip` rows, which its clinicians then edit (every
change kept in history) or hide.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from ketapath.portal.models import Tip


@dataclass(frozen=True)
class DefaultTip:
    key: str
    title: str
    body: str

    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.body.split("\n\n") if p.strip()]


DEFAULT_TIPS = (
    DefaultTip(
        "talk-to-the-team",
        "Talk openly with your care team",
        "Tell the team how you really feel, before and after each session. Say what helped and what "
        "did not. Tell them about any side effect, even one that seems small or embarrassing.\n\n"
        "Bring your questions to every visit. There is no wrong question, and the team would rather "
        "hear about a worry early.",
    ),
    DefaultTip(
        "keep-a-journal",
        "Keep a pain journal",
        "Writing in your journal takes a few seconds a day: your pain, sleep, mood and what you could "
        "do. Over the weeks, it shows you and the team how things change. That is hard to remember at "
        "a visit.\n\n"
        "Write it at about the same time each day, and note anything unusual: a bad night, a busy "
        "day, a new medicine.",
    ),
    DefaultTip(
        "follow-the-instructions",
        "Follow the pre-treatment instructions",
        "Read your preparation instructions the day before each session. They say when to stop eating "
        "and drinking, which medicines to mention, and what to bring and wear.\n\n"
        "If you could not follow them (you ate later than you should have, for example), tell the "
        "nurse when you arrive. It is safer to say so than to hope it does not matter.",
    ),
    DefaultTip(
        "arrange-transport",
        "Arrange your transport home",
        "You will not be able to drive after a session. Arrange for an adult to take you home, and "
        "keep their phone number with you.\n\n"
        "Plan a quiet rest of the day, and do not drive until the next day.",
    ),
    DefaultTip(
        "be-patient",
        "Be patient with the treatment",
        "Relief does not always come after the first session: for many people it builds over several "
        "sessions, and for some it does not come. Your team reviews your progress with you and "
        "decides with you what to do next.\n\n"
        "Keep answering the follow-up questionnaires: they are how the team sees whether the "
        "treatment is working for you.",
    ),
    DefaultTip(
        "support-group",
        "Find a support group",
        "Living with long-term pain or depression is easier with people who understand it. Ask your "
        "care team about local or online support groups.\n\n"
        "Friends and family can help too: tell them what the treatment involves and how they can "
        "support you on session days.",
    ),
)


def tips_for(clinic_id: int, *, published_only: bool = True) -> tuple[list[Any], bool]:
    """The clinic's tips (customised) or the defaults; the flag says which (one query)."""
    listed = list(Tip.objects.filter(clinic_id=clinic_id).order_by("position", "id"))
    if not listed:
        return list(DEFAULT_TIPS), False
    # A clinic that hid every tip has still customised them: it does not fall back to the defaults.
    return ([t for t in listed if t.published] if published_only else listed), True


def customise(clinic: Any, user: Any) -> int:
    """Copy the defaults into the clinic's own rows (once; a repeat adds nothing)."""
    created = 0
    with transaction.atomic():
        for position, tip in enumerate(DEFAULT_TIPS):
            _, made = Tip.objects.get_or_create(
                clinic=clinic,
                key=tip.key,
                defaults={"title": tip.title, "body": tip.body, "position": position, "updated_by": user},
            )
            created += made
    return created
