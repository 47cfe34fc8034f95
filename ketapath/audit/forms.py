from django import forms


class AccessLogFilterForm(forms.Form):
    mrn = forms.CharField(label="Patient MRN", required=False, max_length=40)
    user = forms.CharField(label="User name", required=False, max_length=150)
    since = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))
