"""Creates the test instance's users and tokens in the template database and prints them
as JSON (run once per build by netbox.sh, inside the NetBox root). Argument: the path of
permissions.json; the least-privilege user gets exactly those object permissions."""
import json
import secrets
import sys

import django

django.setup()

from django.contrib.contenttypes.models import ContentType  # noqa: E402
from users.models import ObjectPermission, Token, User  # noqa: E402

spec = json.load(open(sys.argv[1]))


def tokens_for(user):
    v1 = secrets.token_hex(20)
    Token(user=user, version=1, token=v1, description='bm-provision tests (v1)').save()
    v2 = Token(user=user, version=2, token=secrets.token_urlsafe(30)[:40], description='bm-provision tests (v2)')
    v2.save()
    return {'v1': v1, 'v2': f'nbt_{v2.key}.{v2.token}'}


password = secrets.token_urlsafe(12)
admin = User.objects.create_superuser('admin', 'admin@localhost', password)
least = User.objects.create_user('bm-provision', 'bm-provision@localhost', secrets.token_urlsafe(24))
for i, rule in enumerate(spec['permissions']):
    permission = ObjectPermission.objects.create(name=f'bm-provision {i + 1}: {"/".join(rule["actions"])}', actions=rule['actions'])
    for dotted in rule['object_types']:
        app, model = dotted.split('.')
        permission.object_types.add(ContentType.objects.get(app_label=app, model=model))
    permission.users.add(least)

print(json.dumps({'admin': {'username': 'admin', 'password': password, 'tokens': tokens_for(admin)},
                  'leastPrivilege': {'username': 'bm-provision', 'tokens': tokens_for(least)}}))
