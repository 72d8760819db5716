# NetBox configuration for the test instance (test/netbox-real). Set up the way
# docs/netbox.md tells an operator: FIELD_CHOICES adds `discovered` and `ready`.
# Ports and secrets come from the environment netbox.sh gives each instance, so one
# built root serves any number of instances side by side.
import os

ALLOWED_HOSTS = ['*']

DATABASES = {
    'default': {
        'ENGINE': 'django.db.backends.postgresql',
        'NAME': 'netbox',
        'USER': 'netbox',
        'PASSWORD': '',
        'HOST': '127.0.0.1',
        'PORT': os.environ['BM_NETBOX_DB_PORT'],
        'CONN_MAX_AGE': 300,
    }
}

_REDIS = {'HOST': '127.0.0.1', 'PORT': int(os.environ['BM_NETBOX_REDIS_PORT']), 'USERNAME': '', 'PASSWORD': '', 'SSL': False}
REDIS = {'tasks': {**_REDIS, 'DATABASE': 0}, 'caching': {**_REDIS, 'DATABASE': 1}}

SECRET_KEY = os.environ['BM_NETBOX_SECRET_KEY']
API_TOKEN_PEPPERS = {1: os.environ['BM_NETBOX_PEPPER']}

FIELD_CHOICES = {
    'dcim.Device.status+': (
        ('discovered', 'Discovered', 'cyan'),
        ('ready', 'Ready', 'green'),
    )
}


# A rule operators really write (bm_validators.py beside this file, on PYTHONPATH).
CUSTOM_VALIDATORS = {'dcim.device': ['bm_validators.AssetTagBeforeLeavingOffline']}

# Test instance: no update check, no census.
RELEASE_CHECK_URL = None
CENSUS_REPORTING_ENABLED = False
TIME_ZONE = 'UTC'
