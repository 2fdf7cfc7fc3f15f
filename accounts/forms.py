from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm

EMAIL_TAKEN = "An account already uses this email address."


class SignUpForm(UserCreationForm):
    email = forms.EmailField(help_text="Only for resetting your password; never shown.")

    class Meta(UserCreationForm.Meta):
        fields = ["username", "email"]

    def clean_email(self):
        """One account per address, whatever its capitals (a unique index says so too): a
        reset request then reaches one account, and sends one e-mail."""
        email = self.cleaned_data["email"]
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(EMAIL_TAKEN, code="unique")
        return email
