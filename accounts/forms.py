from django import forms
from django.contrib.auth.forms import UserCreationForm


class SignUpForm(UserCreationForm):
    email = forms.EmailField(help_text="Only for resetting your password; never shown.")

    class Meta(UserCreationForm.Meta):
        fields = ["username", "email"]
