from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "ketapath.patients"
    label = "patients"
    verbose_name = "Patients"

    def ready(self) -> None:
        from django.urls import register_converter

        from ketapath.patients.converters import MrnConverter

        # Before any URLconf is read: every chart URL uses <mrn:mrn>.
        register_converter(MrnConverter, "mrn")
