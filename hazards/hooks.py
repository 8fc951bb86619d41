"""What hazards asks of, and tells, the apps built on it (see core.hooks). They register in AppConfig.ready()."""

from core.hooks import Hook

# hazard_panels(hazard, user) -> a dict with "template" and its context, or None: extra sections of
# the hazard page (the portal shows the party's links to the hazard's notices). A receiver runs a
# constant number of queries, whatever the hazard's history.
hazard_panels = Hook("hazards.hazard_panels", "Sections other apps add to the hazard page.")

# hazard_changed(hazard, event): after every recorded action (hazards.events), inside the action's
# transaction with the hazard row locked; a receiver's failure rolls the action back. kpis keeps the
# site's risk level with it.
hazard_changed = Hook("hazards.hazard_changed", "Every recorded hazard action, in its transaction.")
