from django.core.management.commands import makemessages


class Command(makemessages.Command):
    # No fuzzy guesses: a new string stays untranslated (and fails the catalogue test) until a
    # person translates it, instead of silently showing a near-match.
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
