"""What audits asks of the apps built on it (see core.hooks). They register in AppConfig.ready()."""

from core.hooks import Hook

# exempt_items(site, on_date) -> set of StandardItem ids that are exempt at `site` on `on_date`
# (scored not applicable in a new inspection). hazards answers with its whitelist.
exempt_items = Hook("audits.exempt_items", "Checklist items exempt at a site on a date.")

# inspection_panels(inspection, user, problems) -> a dict with "template" and its context, or None:
# extra sections of the inspection page (hazards offers "register hazards from the findings").
inspection_panels = Hook("audits.inspection_panels", "Sections other apps add to the inspection page.")
