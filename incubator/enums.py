"""The programme's shared vocabulary. API values are the lower-case keys (DESIGN.md section 8)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.TextChoices):
    GUANGZHOU = "guangzhou", _("Guangzhou")
    SHENZHEN = "shenzhen", _("Shenzhen")
    ZHUHAI = "zhuhai", _("Zhuhai")
    FOSHAN = "foshan", _("Foshan")
    HUIZHOU = "huizhou", _("Huizhou")
    DONGGUAN = "dongguan", _("Dongguan")
    ZHONGSHAN = "zhongshan", _("Zhongshan")
    JIANGMEN = "jiangmen", _("Jiangmen")
    ZHAOQING = "zhaoqing", _("Zhaoqing")
    HONG_KONG = "hong_kong", _("Hong Kong")
    MACAU = "macau", _("Macau")
    OUTSIDE_GBA = "outside_gba", _("Outside the Greater Bay Area")


class Track(models.TextChoices):
    INFRASTRUCTURE = "infrastructure", _("Infrastructure")
    FINANCE = "finance", _("Finance")
    SUPPLY_CHAIN = "supply_chain", _("Supply chain")
    HEALTHCARE = "healthcare", _("Healthcare")
    EDUCATION = "education", _("Education")
    TOURISM = "tourism", _("Tourism")
    GOVERNMENT = "government", _("Government")
    OTHER = "other", _("Other")


class Stage(models.TextChoices):
    IDEA = "idea", _("Idea")
    PROTOTYPE = "prototype", _("Prototype")
    PILOT = "pilot", _("Pilot")
    REVENUE = "revenue", _("Revenue")
    SCALE = "scale", _("Scale")


class ServiceKind(models.TextChoices):
    """What a start-up may need and what a provider offers."""

    FUND = "fund", _("Fund")
    TRAINING = "training", _("Training")
    TESTING = "testing", _("Testing")


class Currency(models.TextChoices):
    CNY = "CNY", _("Chinese yuan (CNY)")
    HKD = "HKD", _("Hong Kong dollar (HKD)")
    MOP = "MOP", _("Macanese pataca (MOP)")
    USD = "USD", _("US dollar (USD)")


class QuestionKind(models.TextChoices):
    """The kinds of a round's own questions (DESIGN.md §11)."""

    TEXT = "text", _("Short text")
    LONG_TEXT = "long_text", _("Long text")
    NUMBER = "number", _("Number")
    CHOICE = "choice", _("One choice")
    MULTI_CHOICE = "multi_choice", _("Several choices")
    BOOLEAN = "boolean", _("Yes or no")
    URL = "url", _("Web address")
    DATE = "date", _("Date")


class Jurisdiction(models.TextChoices):
    """The alliance's three legal systems (DESIGN.md §14)."""

    MAINLAND = "mainland", _("Mainland")
    HONG_KONG = "hong_kong", _("Hong Kong")
    MACAU = "macau", _("Macau")


def jurisdiction_of_region(region: str) -> str:
    """A start-up's jurisdiction: Hong Kong and Macau their own, every other region (the nine
    Guangdong cities and outside the Greater Bay Area) the mainland."""
    if region == Region.HONG_KONG:
        return Jurisdiction.HONG_KONG
    if region == Region.MACAU:
        return Jurisdiction.MACAU
    return Jurisdiction.MAINLAND


class PanelRule(models.TextChoices):
    """Which jurisdictions an application's reviewers come from (DESIGN.md §14)."""

    NONE = "none", _("No rule")
    MIXED = "mixed", _("Mixed: at least two jurisdictions")
    OUTSIDE = "outside", _("Outside: none from the application's own jurisdiction")
