from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "groupguard.contacts"
    label = "contacts"
    verbose_name = "Out-of-session contacts"
