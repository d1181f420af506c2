"""A report subscription names the scope whose nightly report it asks for (it was the user's office's).

Existing subscriptions keep what they received: the report of the user's office region, or the
province's for a user without an office (a superuser).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def scope_of_office(apps, schema_editor):
    Subscription = apps.get_model("tracker", "ReportSubscription")
    UserOffice = apps.get_model("tracker", "UserOffice")
    Region = apps.get_model("tracker", "Region")
    offices = dict(UserOffice.objects.values_list("user_id", "region_id"))
    province = Region.objects.filter(code="320000").values_list("pk", flat=True).first()
    for subscription in Subscription.objects.filter(region__isnull=True):
        region = offices.get(subscription.user_id, province)
        if region is None:
            subscription.delete()  # no region table yet: nothing it could have received
        else:
            Subscription.objects.filter(pk=subscription.pk).update(region_id=region)


class Migration(migrations.Migration):

    dependencies = [
        ("tracker", "0020_metrics_revenue_by_year"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="reportsubscription",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="report_subscriptions",
                to=settings.AUTH_USER_MODEL, verbose_name="用户",
            ),
        ),
        migrations.AddField(
            model_name="reportsubscription",
            name="region",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="tracker.region",
                verbose_name="报告范围",
                help_text="接收哪个范围的夜间报告：全省、某设区市或某县（市、区）；须在用户所属地区之内。",
            ),
        ),
        migrations.RunPython(scope_of_office, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="reportsubscription",
            name="region",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="tracker.region",
                verbose_name="报告范围",
                help_text="接收哪个范围的夜间报告：全省、某设区市或某县（市、区）；须在用户所属地区之内。",
            ),
        ),
        migrations.AlterModelOptions(
            name="reportsubscription",
            options={"ordering": ["region__code", "user__username"], "verbose_name": "报告订阅",
                     "verbose_name_plural": "报告订阅"},
        ),
        migrations.AddConstraint(
            model_name="reportsubscription",
            constraint=models.UniqueConstraint(fields=("user", "region"), name="report_subscription_one_per_scope"),
        ),
    ]
