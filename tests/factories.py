import factory
from django.contrib.auth import get_user_model

from org import services as org_services
from org.models import OrgUnit, Role, Site


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit

    code = factory.Sequence(lambda n: f"U{n:04d}")
    name = factory.Sequence(lambda n: f"单位{n}")
    kind = OrgUnit.Kind.BRANCH
    parent = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return org_services.orgunit_create(**kwargs)


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    code = factory.Sequence(lambda n: f"S{n:05d}")
    name = factory.Sequence(lambda n: f"客户{n}")
    unit = factory.SubFactory(OrgUnitFactory)
    site_class = Site.SiteClass.GENERAL
    category = Site.Category.MANUFACTURING
    voltage_level = "10kV"
    contact_name = "张三"
    contact_email = factory.Sequence(lambda n: f"contact{n}@example.com")


def make_user(unit, role=Role.INSPECTOR, username=None, password="pw-123456", **extra):
    username = username or f"{role}_{unit.code}_{get_user_model().objects.count()}"
    return org_services.user_create(username=username, password=password, unit=unit, role=role, **extra)
