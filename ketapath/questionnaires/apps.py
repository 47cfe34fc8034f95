from django.apps import AppConfig


class QuestionnairesConfig(AppConfig):
    name = "ketapath.questionnaires"
    label = "questionnaires"
    verbose_name = "Questionnaires"
