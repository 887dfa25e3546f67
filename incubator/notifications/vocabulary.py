"""Labels that e-mails show, repeated here only so that this catalogue (locale/) carries their
Chinese translations; the values themselves come from incubator.enums."""

from django.utils.translation import gettext_noop

LABELS = [
    # Regions
    gettext_noop("Guangzhou"),
    gettext_noop("Shenzhen"),
    gettext_noop("Zhuhai"),
    gettext_noop("Foshan"),
    gettext_noop("Huizhou"),
    gettext_noop("Dongguan"),
    gettext_noop("Zhongshan"),
    gettext_noop("Jiangmen"),
    gettext_noop("Zhaoqing"),
    gettext_noop("Hong Kong"),
    gettext_noop("Macau"),
    gettext_noop("Outside the Greater Bay Area"),
    # Tracks
    gettext_noop("Infrastructure"),
    gettext_noop("Finance"),
    gettext_noop("Supply chain"),
    gettext_noop("Healthcare"),
    gettext_noop("Education"),
    gettext_noop("Tourism"),
    gettext_noop("Government"),
    gettext_noop("Other"),
    # Stages
    gettext_noop("Idea"),
    gettext_noop("Prototype"),
    gettext_noop("Pilot"),
    gettext_noop("Revenue"),
    gettext_noop("Scale"),
    # Service kinds
    gettext_noop("Fund"),
    gettext_noop("Training"),
    gettext_noop("Testing"),
]
