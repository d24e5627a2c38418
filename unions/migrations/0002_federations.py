"""Reference data of API.md: the city federation and its 13 county-level federations."""

from django.db import migrations

FEDERATIONS = [
    ("360400", "九江市总工会", "city"),
    ("360402", "濂溪区总工会", "county"),
    ("360403", "浔阳区总工会", "county"),
    ("360404", "柴桑区总工会", "county"),
    ("360423", "武宁县总工会", "county"),
    ("360424", "修水县总工会", "county"),
    ("360425", "永修县总工会", "county"),
    ("360426", "德安县总工会", "county"),
    ("360428", "都昌县总工会", "county"),
    ("360429", "湖口县总工会", "county"),
    ("360430", "彭泽县总工会", "county"),
    ("360481", "瑞昌市总工会", "county"),
    ("360482", "共青城市总工会", "county"),
    ("360483", "庐山市总工会", "county"),
]


def load(apps, schema_editor):
    Federation = apps.get_model("unions", "Federation")
    for code, name, level in FEDERATIONS:
        Federation.objects.update_or_create(code=code, defaults={"name": name, "level": level})


def unload(apps, schema_editor):
    apps.get_model("unions", "Federation").objects.filter(code__in=[c for c, _n, _l in FEDERATIONS]).delete()


class Migration(migrations.Migration):
    dependencies = [("unions", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
