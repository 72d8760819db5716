"""Custom validators of the test NetBox (test/netbox-real), loaded by dotted path."""
from extras.validators import CustomValidator


class AssetTagBeforeLeavingOffline(CustomValidator):
    """Servers of the role `bm-asset-tag-rule` need an asset tag before they leave `offline`.
    Scoped to one role so that only the test about whole-object validation meets it."""

    def validate(self, instance, request):
        role = getattr(instance, 'role', None)
        if role is not None and role.slug == 'bm-asset-tag-rule' and instance.status != 'offline' and not instance.asset_tag:
            self.fail('Servers of this role need an asset tag before they leave offline.', field='asset_tag')
