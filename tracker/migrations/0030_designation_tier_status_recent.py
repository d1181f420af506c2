# A tier's designations in a status, newest first, read from an index in the lists' order (the API's
# `designations/?tier=…&status=…` sorted 36,000 rows per page at 1M); it replaces the (tier, status)
# index it starts with. Built and dropped concurrently: designations take writes meanwhile.

from django.db import migrations, models

from tracker.online_migrations import AddIndexOnline, RemoveIndexOnline


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("tracker", "0029_text_without_control_characters"),
    ]

    operations = [
        AddIndexOnline(
            model_name="designation",
            index=models.Index(
                fields=["tier", "status", "-recognized_on", "id"], name="designation_tier_status_recent"
            ),
        ),
        RemoveIndexOnline(model_name="designation", name="tracker_des_tier_id_52384e_idx"),
    ]
