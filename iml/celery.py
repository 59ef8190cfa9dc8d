"""The Celery application. Tasks are thin wrappers over services (see iml/tasks.py)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iml.settings")

# DjangoTask gives every task delay_on_commit(): enqueue only once the transaction commits.
app = Celery("iml", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
