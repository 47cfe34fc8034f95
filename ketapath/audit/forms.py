from django import forms

from ketapath.ui.widgets import DateInput


class AccessLogFilterForm(forms.Form):
    mrn = forms.CharField(label="Patient MRN", required=False, max_length=40)
    user = forms.CharField(label="User name", required=False, max_length=150)
    since = forms.DateField(label="From", required=False, widget=DateInput())
    until = forms.DateField(label="To", required=False, widget=DateInput())
