"""Who is a partner, and for which provider (DESIGN.md §6, §12)."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from incubator.models import PartnerAccount, ServiceProvider
from incubator.permissions import is_partner


def partner_provider(user: AbstractBaseUser | AnonymousUser) -> ServiceProvider | None:
    """The provider a partner user acts for; None for anyone else (not in the Partners group,
    or not linked to a provider)."""
    if not is_partner(user):
        return None
    account = PartnerAccount.objects.select_related("provider").filter(user=user).first()
    return account.provider if account is not None else None
