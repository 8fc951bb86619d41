"""What org asks of the apps built on it (see core.hooks). They register in AppConfig.ready()."""

from core.hooks import Hook

# site_panels(site, user) -> a dict with "template" and its context, or None: sections of the site
# page (audits: its inspections; hazards: its hazards).
site_panels = Hook("org.site_panels", "Sections other apps add to the site page.")
