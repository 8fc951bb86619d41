"""The reminder scan's beat entry, in django-celery-beat's tables (editable in the admin: Periodic
tasks): hourly from 08:00 to 20:00 in TIME_ZONE. The scan sends each message once a day whatever
the number of runs; the repeats only make a beat or worker outage cost an hour, not a day."""

from django.conf import settings
from django.db import migrations

NAME = "reminder-scan"
TASK = "hazards.tasks.send_reminders"


def create(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="8-20", day_of_week="*", day_of_month="*", month_of_year="*", timezone=settings.TIME_ZONE)
    PeriodicTask.objects.get_or_create(name=NAME, defaults={
        "task": TASK, "crontab": crontab, "enabled": True,
        "description": "Reminders before and on the deadline, overdue digests, supervision notices to issue, "
                       "escalations (hazards.reminders). Safe to run any number of times a day.",
    })


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME, task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("hazards", "0007_input_bounds"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
