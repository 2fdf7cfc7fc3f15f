from django import forms

from articles.models import Comment
from newsite.cache import canonical


class SearchForm(forms.Form):
    # A generous limit for people, and a bound on the work one query can ask of the database.
    q = forms.CharField(label="Search", max_length=200, required=False, strip=True)

    def clean_q(self):
        """The terms in their canonical form (one space between words, case-folded), which the
        URL carries too: equivalent searches share one entry in every cache."""
        return canonical.words(self.cleaned_data["q"]) or ""


class CommentForm(forms.ModelForm):
    class Meta:
        model = Comment
        fields = ["body"]
        labels = {"body": "Your comment"}
        widgets = {"body": forms.Textarea(attrs={"rows": 4, "maxlength": 2000})}
