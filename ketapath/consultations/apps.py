from django.apps import AppConfig


class ConsultationsConfig(AppConfig):
    name = "ketapath.consultations"
    label = "consultations"
    verbose_name = "Consultation and evaluation"
