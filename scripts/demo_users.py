"""Create the demo's users (idempotent) and say how to log in."""

import os
import sys
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout, for tests.settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from readout_annotations.roles import ANNOTATORS, REVIEWERS  # noqa: E402

PASSWORD = "demo-password"
USERS = [("annotator1", ANNOTATORS), ("annotator2", ANNOTATORS), ("reviewer", REVIEWERS)]
port = os.environ.get("PORT", "8000")

print(f"\nDemo users (password {PASSWORD!r} for each), log in at http://127.0.0.1:{port}/admin/")
for username, group in USERS:
    user, _ = get_user_model().objects.get_or_create(username=username, defaults={"is_staff": True})
    user.is_staff = True
    user.set_password(PASSWORD)
    user.save()
    user.groups.set([Group.objects.get(name=group)])
    token, _ = Token.objects.get_or_create(user=user)
    print(f"  {username:<11} {group:<20} API token: {token.key}")
print(f"API: http://127.0.0.1:{port}/api/  (schema at /api/schema/)\n")
