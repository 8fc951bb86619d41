"""What hazards asks of the apps built on it (see core.hooks). They register in AppConfig.ready()."""

from core.hooks import Hook

# hazard_panels(hazard, user) -> a dict with "template" and its context, or None: extra sections of
# the hazard page (the portal shows the party's links to the hazard's notices). A receiver runs a
# constant number of queries, whatever the hazard's history.
hazard_panels = Hook("hazards.hazard_panels", "Sections other apps add to the hazard page.")
