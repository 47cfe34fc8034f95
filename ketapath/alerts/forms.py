from django import forms


class AcknowledgeForm(forms.Form):
    action_taken = forms.CharField(
        label="What was done",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        help_text="For example: called the patient, safety plan reviewed, appointment brought forward.",
    )
