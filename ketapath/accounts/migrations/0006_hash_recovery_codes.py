"""Recovery codes kept as a keyed hash (``two_factor.kept_form``), never as typed: the codes made
before this are hashed in place, so they keep working."""

from django.db import migrations


def hash_kept_codes(apps, schema_editor):
    from ketapath.accounts.two_factor import kept_form, looks_like_recovery_code

    StaticToken = apps.get_model("otp_static", "StaticToken")
    for token in StaticToken.objects.all():
        if looks_like_recovery_code(token.token):  # a hash is hex, 16 characters: left as it is
            token.token = kept_form(token.token)
            token.save(update_fields=["token"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_clinic_time_zone"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [
        migrations.RunPython(hash_kept_codes, migrations.RunPython.noop, elidable=True),
    ]
