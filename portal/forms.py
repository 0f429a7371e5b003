"""The portal's forms: labels are the accessible names the pages promise (API.md, the portal)."""

from django import forms


class PortalForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)  # "Email", not "Email:", as the accessible name


class CredentialsForm(PortalForm):
    email = forms.EmailField(label="Email", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(label="Password", max_length=128, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class SignupForm(CredentialsForm):
    password = forms.CharField(label="Password", max_length=128, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))


class ProfileForm(PortalForm):
    purpose = forms.CharField(label="Purpose", max_length=255, required=False)
    organization = forms.CharField(label="Organization", max_length=255, required=False)


class KeyForm(PortalForm):
    name = forms.CharField(label="Key name", max_length=50)


class TryItForm(PortalForm):
    file = forms.FileField(label="DICOM file", help_text="A DICOM file or a .zip of them.")
    return_format = forms.ChoiceField(label="Image format", choices=[("png", "PNG"), ("jpeg", "JPEG"), ("gif", "GIF")], initial="png")
