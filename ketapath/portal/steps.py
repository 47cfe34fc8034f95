"""What a patient should do next, by pathway stage (plain wording, no clinical numbers)."""

from __future__ import annotations

from ketapath.patients.models import PathwayStage, Patient

NEXT_STEPS: dict[str, list[str]] = {
    PathwayStage.REFERRED: [
        "Your clinic has your referral. They will contact you to book a consultation.",
        "Write down the treatments you have tried for your pain and how each worked.",
    ],
    PathwayStage.EVALUATION: [
        "Your clinic is seeing you to check if this treatment suits you.",
        "Bring a list of your current medicines and allergies to your visit.",
    ],
    PathwayStage.PLANNING: [
        "Your prescriber is preparing your treatment plan.",
        "Arrange someone who can take you home after each session: you must not drive until the next day.",
    ],
    PathwayStage.TREATMENT: [
        "You are in a course of treatment. Check your appointment times and how to prepare.",
        "Tell the care team about any side effects you notice between sessions.",
    ],
    PathwayStage.FOLLOW_UP: [
        "Your course is complete. Please answer the follow-up questionnaires when they are due.",
    ],
    PathwayStage.MAINTENANCE: [
        "You have sessions from time to time to keep the benefit. Keep telling your care team how you feel.",
    ],
    PathwayStage.DISCHARGED: ["Your care with this clinic has ended. Contact them if anything changes."],
    PathwayStage.NOT_ELIGIBLE: [
        "Your clinic has explained why this treatment is not suitable for you now.",
        "Contact them if your situation changes.",
    ],
}


def next_steps(patient: Patient) -> list[str]:
    return NEXT_STEPS.get(patient.pathway_stage, [])
