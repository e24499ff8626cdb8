"""One form rendering for the whole site (Django's form templates).

`{{ form }}` and `{{ form.field.as_field_group }}` use templates/forms/div.html and templates/forms/field.html;
radio and checkbox options use templates/django/forms/widgets/input_option.html (label beside the box, the
whole row tappable). TemplatesSetting reads the project's TEMPLATES, so those files override Django's.
"""

from django.forms.renderers import TemplatesSetting


class LianhuFormRenderer(TemplatesSetting):
    form_template_name = "forms/div.html"
    field_template_name = "forms/field.html"
