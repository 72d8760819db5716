"""Runs OpenStack sushy-tools' sushy-emulator (fake driver) with the parts a BMC hardening test needs and the
emulator lacks, so that the same Redfish paths a real BMC serves can be driven by community.general's modules.

sushy-tools 2.2.0 (the pinned version) serves Systems, Bios + Bios/Settings, Managers, power actions, boot
override, VirtualMedia, SecureBoot and UpdateService.SimpleUpdate, but its *fake* driver implements no BIOS
attributes and no firmware versions (AbstractSystemsDriver raises NotSupportedError; only the libvirt, nova and
ironic drivers have them), and the emulator has no Managers/<id>/NetworkProtocol and no AccountService at all.
This launcher (used by test/helpers/sushy.ts, never by production code) adds, configured per system in the
config file's SUSHY_EMULATOR_FAKE_SYSTEMS entries:

- BIOS attributes (``bios``), stored with the system like the libvirt driver stores them in domain metadata.
  ``bios_apply``: ``on-reset`` (default; a PATCH to Bios/Settings stays pending, shown by GET Bios/Settings,
  until a ComputerSystem.Reset that restarts or powers on the system, as on real BMCs) or ``immediate``.
  ``bios_patch_ignored``: the PATCH answers 204 but nothing changes (a BMC that lies). A PATCH naming an
  attribute the system does not have is rejected with 400, as real BMCs do through their attribute registry.
  Faults: ``bios_rejected`` ({name: reason}): a PATCH naming one of these attributes is refused with 400 and
  the reason (a read-only attribute, a value the BMC does not take), nothing applied; ``bios_patch_delay``
  ({"seconds": s, "times": n}): the next n BIOS PATCHes wait s seconds before being handled (a slow BMC),
  logging "bm fault: delaying" when one starts.
- firmware versions (``versions``, default ``{"BiosVersion": "1.0.0", "BmcVersion": "1.00"}``), which sushy's
  SimpleUpdate bumps (it ignores ImageURI, downloads nothing, needs a System in Targets and adds 1 to the BiosVersion's
  second number).
- with BM_FIRMWARE_INVENTORY = True, OUR firmware model instead of sushy's (sushy 2.2.0 has no FirmwareInventory):
  /redfish/v1/UpdateService/FirmwareInventory with members ``BIOS`` (the first system's versions.BiosVersion) and
  ``BMC`` (versions.BmcVersion, also the Manager's FirmwareVersion), and a SimpleUpdate that downloads ImageURI
  (HTTP/HTTPS, userinfo as basic auth) like a BMC does and takes the component and the new version from the image's
  file name: ``bios-2.1.0.bin`` → BIOS 2.1.0, ``bmc-1.10.bin`` → BMC 1.10 (Targets are ignored). It answers 202 with
  a task monitor (/redfish/v1/TaskService/Tasks/fw-<n>) that reports Running on the first GET and then Completed, or
  Exception with the reason (image not downloadable, file name not ``<bios|bmc>-<version>.<ext>``). A BMC update
  is active at once (a BMC resets itself); a BIOS update per ``firmware_apply``: ``on-reset`` (default; active at the
  next restart or power-on, as on real servers) or ``immediate``. Fault ``firmware_update_ignored``: the task
  completes but no version changes (a BMC that lies).
- with BM_NETWORK_PROTOCOL = True: GET/PATCH /redfish/v1/Managers/<id>/NetworkProtocol (ManagerNetworkProtocol,
  per system: ``network_protocol``), linked from the Manager.
- the ComputerSystem's ``SerialNumber`` (``serial``; sushy's templates render none), added to GET
  /redfish/v1/Systems/<id>, so that bm-harden can prove the BMC's identity against NetBox's serial. With another
  driver (libvirt), from the config's BM_SYSTEM_SERIALS ({system name or uuid: serial}) instead.
- with BM_ACCOUNT_SERVICE = True: /redfish/v1/AccountService/Accounts/<n> for the users in the htpasswd file;
  a PATCH of Password rewrites that user's htpasswd line (bcrypt), which sushy's auth reads on every request.

Everything else is sushy-emulator's own main(): `python sushy-emulator.py --config FILE` takes its options.
"""

import copy
import os
import re
import sys
import time

import bcrypt
import flask
from sushy_tools import error
from sushy_tools.emulator import main as emulator
from sushy_tools.emulator.resources.systems import fakedriver

DEFAULT_VERSIONS = {'BiosVersion': '1.0.0', 'BmcVersion': '1.00'}
NETWORK_PROTOCOL_NAMES = ('HTTP', 'HTTPS', 'SSH', 'IPMI', 'SSDP', 'SNMP', 'Telnet', 'KVMIP', 'VirtualMedia', 'NTP')


class SettingRejected(error.BadRequest):
    """A PATCH the BMC refuses per attribute; answered like real BMCs do (one ExtendedInfo message per attribute)."""

    def __init__(self, rejected):
        self.rejected = rejected
        super().__init__('; '.join(f'BIOS attribute {name} cannot be set: {reason}' for name, reason in sorted(rejected.items())))


def _system(driver, identity):
    return driver._get(identity)


def get_bios(self, identity):
    system = _system(self, identity)
    if 'bios' not in system:
        raise error.NotSupportedError('this fake system has no BIOS attributes')
    current = copy.deepcopy(system['bios'])
    # GET Bios/Settings shows what is pending; sushy's route calls get_bios for both resources.
    if flask.has_request_context() and flask.request.path.rstrip('/').endswith('/BIOS/Settings'):
        current.update(system.get('bios_pending') or {})
    return current


def set_bios(self, identity, attributes):
    system = _system(self, identity)
    if 'bios' not in system:
        raise error.NotSupportedError('this fake system has no BIOS attributes')
    if not isinstance(attributes, dict) or not attributes:
        raise error.BadRequest('the PATCH needs a non-empty "Attributes" object')
    delay = system.get('bios_patch_delay') or {}
    if delay.get('times', 1) > 0 and delay.get('seconds'):
        self._update(system, bios_patch_delay={**delay, 'times': delay.get('times', 1) - 1})
        app.logger.warning('bm fault: delaying the BIOS PATCH by %s s', delay['seconds'])
        time.sleep(delay['seconds'])
        system = _system(self, identity)
    unknown = sorted(set(attributes) - set(system['bios']))
    if unknown:
        raise error.BadRequest(f'unknown BIOS attribute(s) {", ".join(unknown)} (not in the attribute registry)')
    rejected = {name: reason for name, reason in (system.get('bios_rejected') or {}).items() if name in attributes}
    if rejected:
        raise SettingRejected(rejected)
    if system.get('bios_patch_ignored'):
        return
    if system.get('bios_apply', 'on-reset') == 'immediate':
        self._update(system, bios={**system['bios'], **attributes})
    else:
        self._update(system, bios_pending={**(system.get('bios_pending') or {}), **attributes})


def reset_bios(self, identity):
    system = _system(self, identity)
    self._update(system, bios=copy.deepcopy(system.get('bios_defaults', system.get('bios', {}))), bios_pending=None)


def get_versions(self, identity):
    return {**DEFAULT_VERSIONS, **(_system(self, identity).get('versions') or {})}


def set_versions(self, identity, firmware_versions):
    system = _system(self, identity)
    self._update(system, versions={**(system.get('versions') or DEFAULT_VERSIONS), **firmware_versions})


def reset_versions(self, identity):
    self._update(_system(self, identity), versions=dict(DEFAULT_VERSIONS))


_original_set_power_state = fakedriver.FakeDriver.set_power_state


def set_power_state(self, identity, state):
    system = _system(self, identity)
    pending = system.get('bios_pending')
    # A restart, or a power-on from off, runs POST: pending BIOS settings take effect.
    versions_pending = system.get('versions_pending')
    if (pending or versions_pending) and ('Restart' in state or ('On' in state and system['power_state'] == 'Off')):
        if pending:
            self._update(system, bios={**system['bios'], **pending}, bios_pending=None)
        if versions_pending:
            self._update(system, versions={**get_versions(self, identity), **versions_pending}, versions_pending=None)
    return _original_set_power_state(self, identity, state)


def init_defaults(driver_cls):
    original_init = driver_cls.__init__

    def __init__(self):
        original_init(self)
        for uuid in list(self._systems):
            system = self._systems[uuid]
            if 'bios' in system and 'bios_defaults' not in system:
                self._update(system, bios_defaults=copy.deepcopy(system['bios']))

    driver_cls.__init__ = __init__


for name, fn in (('get_bios', get_bios), ('set_bios', set_bios), ('reset_bios', reset_bios), ('get_versions', get_versions),
                 ('set_versions', set_versions), ('reset_versions', reset_versions), ('set_power_state', set_power_state)):
    setattr(fakedriver.FakeDriver, name, fn)
init_defaults(fakedriver.FakeDriver)

app = emulator.app


@app.errorhandler(SettingRejected)
def setting_rejected(exc):
    messages = [{'@odata.type': '#Message.v1_1_1.Message', 'MessageId': 'Base.1.8.PropertyNotWritable', 'RelatedProperties': [f'#/Attributes/{name}'],
                 'Message': f'BIOS attribute {name} cannot be set: {reason}', 'Severity': 'Warning', 'Resolution': 'Remove the attribute from the request.'}
                for name, reason in sorted(exc.rejected.items())]
    body = {'error': {'code': 'Base.1.8.GeneralError', 'message': str(exc), '@Message.ExtendedInfo': messages}}
    return flask.Response(flask.json.dumps(body), status=400, content_type='application/json')


def _config(key):
    return app.config.get(key)


def _manager_system(identity):
    systems = app.systems
    uuid = systems.uuid(identity)
    return systems, systems._get(uuid)


def _network_protocol_state(system):
    state = system.get('network_protocol')
    if state is None:
        state = {name: {'ProtocolEnabled': name in ('HTTPS', 'SSH', 'IPMI', 'SSDP'), 'Port': None} for name in NETWORK_PROTOCOL_NAMES}
        state['NTP']['NTPServers'] = []
    return state


@app.route('/redfish/v1/Managers/<identity>/NetworkProtocol', methods=['GET', 'PATCH'])
@emulator.api_utils.returns_json
def network_protocol(identity):
    if not _config('BM_NETWORK_PROTOCOL'):
        raise error.NotFound()
    systems, system = _manager_system(identity)
    state = copy.deepcopy(_network_protocol_state(system))
    if flask.request.method == 'PATCH':
        body = flask.request.get_json(silent=True)
        if not isinstance(body, dict):
            raise error.BadRequest('Request must be a valid JSON object')
        for name, props in body.items():
            if name not in state or not isinstance(props, dict):
                raise error.BadRequest(f'property {name} is not writable on ManagerNetworkProtocol')
            for prop, value in props.items():
                if prop not in ('ProtocolEnabled', 'Port', 'NTPServers') or (prop == 'NTPServers' and name != 'NTP'):
                    raise error.BadRequest(f'property {name}.{prop} is not writable')
                state[name][prop] = value
        systems._update(system, network_protocol=state)
        return '', 204
    result = {'@odata.id': f'/redfish/v1/Managers/{identity}/NetworkProtocol', '@odata.type': '#ManagerNetworkProtocol.v1_5_0.ManagerNetworkProtocol',
              'Id': 'NetworkProtocol', 'Name': 'Manager Network Protocol', **state}
    return flask.jsonify(result)


def _htpasswd_users():
    auth_file = _config('SUSHY_EMULATOR_AUTH_FILE')
    if not auth_file:
        return []
    with open(auth_file) as f:
        return [line.split(':', 1)[0] for line in f if ':' in line]


@app.route('/redfish/v1/AccountService', methods=['GET'])
@emulator.api_utils.returns_json
def account_service():
    if not _config('BM_ACCOUNT_SERVICE'):
        raise error.NotFound()
    return flask.jsonify({'@odata.id': '/redfish/v1/AccountService', '@odata.type': '#AccountService.v1_5_0.AccountService', 'Id': 'AccountService',
                          'Name': 'Account Service', 'ServiceEnabled': True, 'Accounts': {'@odata.id': '/redfish/v1/AccountService/Accounts'}})


@app.route('/redfish/v1/AccountService/Accounts', methods=['GET'])
@emulator.api_utils.returns_json
def accounts():
    if not _config('BM_ACCOUNT_SERVICE'):
        raise error.NotFound()
    members = [{'@odata.id': f'/redfish/v1/AccountService/Accounts/{i + 1}'} for i in range(len(_htpasswd_users()))]
    return flask.jsonify({'@odata.id': '/redfish/v1/AccountService/Accounts', '@odata.type': '#ManagerAccountCollection.ManagerAccountCollection',
                          'Name': 'Accounts', 'Members@odata.count': len(members), 'Members': members})


@app.route('/redfish/v1/AccountService/Accounts/<int:account_id>', methods=['GET', 'PATCH'])
@emulator.api_utils.returns_json
def account(account_id):
    if not _config('BM_ACCOUNT_SERVICE'):
        raise error.NotFound()
    users = _htpasswd_users()
    if not 1 <= account_id <= len(users):
        raise error.NotFound()
    username = users[account_id - 1]
    if flask.request.method == 'PATCH':
        body = flask.request.get_json(silent=True) or {}
        if set(body) != {'Password'} or not isinstance(body['Password'], str) or len(body['Password']) < 8:
            raise error.BadRequest('only Password (a string of at least 8 characters) can be changed')
        auth_file = _config('SUSHY_EMULATOR_AUTH_FILE')
        digest = bcrypt.hashpw(body['Password'].encode(), bcrypt.gensalt(rounds=4)).decode()
        with open(auth_file) as f:
            lines = f.read().splitlines()
        lines = [f'{username}:{digest}' if re.match(re.escape(username) + ':', line) else line for line in lines]
        tmp = f'{auth_file}.tmp'
        with open(tmp, 'w') as f:
            f.write('\n'.join(lines) + '\n')
        os.replace(tmp, auth_file)
        app.logger.info('Password of account %s changed', username)
        return '', 204
    return flask.jsonify({'@odata.id': f'/redfish/v1/AccountService/Accounts/{account_id}', '@odata.type': '#ManagerAccount.v1_4_0.ManagerAccount',
                          'Id': str(account_id), 'Name': 'User Account', 'UserName': username, 'RoleId': 'Administrator', 'Enabled': True,
                          'Locked': False, 'Password': None})


FIRMWARE_COMPONENTS = {'bios': ('BIOS', 'BiosVersion', 'BIOS'), 'bmc': ('BMC', 'BmcVersion', 'BMC Firmware')}
IMAGE_NAME = re.compile(r'(?P<component>[A-Za-z]+)-(?P<version>[0-9][0-9A-Za-z.]*)\.[A-Za-z]+')
firmware_tasks = {}


def _firmware_system():
    """The server the firmware inventory describes: the first system (one server per emulator, like a BMC)."""
    systems = app.systems
    return systems, systems._get(systems.systems[0])


def _inventory_member(component):
    member_id, key, name = FIRMWARE_COMPONENTS[component]
    systems, system = _firmware_system()
    return {'@odata.id': f'/redfish/v1/UpdateService/FirmwareInventory/{member_id}', '@odata.type': '#SoftwareInventory.v1_3_0.SoftwareInventory',
            'Id': member_id, 'Name': name, 'Version': systems.get_versions(system['uuid'])[key], 'Updateable': True,
            'RelatedItem': [{'@odata.id': f'/redfish/v1/Systems/{system["uuid"]}'}], 'Status': {'State': 'Enabled', 'Health': 'OK'}}


@app.route('/redfish/v1/UpdateService/FirmwareInventory', methods=['GET'])
@emulator.api_utils.returns_json
def firmware_inventory():
    if not _config('BM_FIRMWARE_INVENTORY'):
        raise error.NotFound()
    members = [{'@odata.id': f'/redfish/v1/UpdateService/FirmwareInventory/{m[0]}'} for m in FIRMWARE_COMPONENTS.values()]
    return flask.jsonify({'@odata.id': '/redfish/v1/UpdateService/FirmwareInventory', '@odata.type': '#SoftwareInventoryCollection.SoftwareInventoryCollection',
                          'Name': 'Firmware Inventory', 'Members@odata.count': len(members), 'Members': members})


@app.route('/redfish/v1/UpdateService/FirmwareInventory/<member_id>', methods=['GET'])
@emulator.api_utils.returns_json
def firmware_inventory_member(member_id):
    component = member_id.lower()
    if not _config('BM_FIRMWARE_INVENTORY') or component not in FIRMWARE_COMPONENTS:
        raise error.NotFound()
    return flask.jsonify(_inventory_member(component))


def _download(uri):
    """Fetches the image like a BMC would (userinfo as basic auth); the reason when it cannot."""
    import base64
    import urllib.error
    import urllib.parse
    import urllib.request
    parts = urllib.parse.urlsplit(uri)
    netloc = parts.netloc.rsplit('@', 1)[-1]
    request = urllib.request.Request(urllib.parse.urlunsplit(parts._replace(netloc=netloc)))
    if parts.username is not None:
        token = base64.b64encode(f'{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or "")}'.encode()).decode()
        request.add_header('Authorization', f'Basic {token}')
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()
        return None
    except (urllib.error.URLError, OSError) as exc:
        return f'cannot download the image from {urllib.parse.urlunsplit(parts._replace(netloc=netloc))}: {exc}'


def _task_body(task_id):
    task = firmware_tasks[task_id]
    return {'@odata.id': f'/redfish/v1/TaskService/Tasks/{task_id}', '@odata.type': '#Task.v1_4_3.Task', 'Id': task_id, 'Name': f'Firmware update {task_id}',
            'TaskState': task['state'], 'TaskStatus': 'OK' if task['state'] != 'Exception' else 'Critical',
            'Messages': task['messages'] if task['state'] != 'Running' else []}


_sushy_simple_update = app.view_functions['UpdateService.update_service_simple_update']


def simple_update():
    """OUR SimpleUpdate (see the module docstring); sushy's own when BM_FIRMWARE_INVENTORY is off."""
    if not _config('BM_FIRMWARE_INVENTORY'):
        return _sushy_simple_update()
    body = flask.request.get_json(silent=True) or {}
    uri = body.get('ImageURI')
    if not isinstance(uri, str) or not re.match(r'https?://', uri):
        raise error.BadRequest('ImageURI (an http:// or https:// URL) is required')
    failure = _download(uri)
    match = IMAGE_NAME.fullmatch(uri.split('?', 1)[0].rstrip('/').rsplit('/', 1)[-1])
    if not failure and (not match or match['component'].lower() not in FIRMWARE_COMPONENTS):
        failure = 'the image is not a firmware this BMC knows (file name <bios|bmc>-<version>.<ext>)'
    systems, system = _firmware_system()
    if not failure and not system.get('firmware_update_ignored'):
        member_id, key, _name = FIRMWARE_COMPONENTS[match['component'].lower()]
        if member_id == 'BIOS' and system.get('firmware_apply', 'on-reset') == 'on-reset':
            systems._update(system, versions_pending={**(system.get('versions_pending') or {}), key: match['version']})
        else:
            systems._update(system, versions={**systems.get_versions(system['uuid']), key: match['version']})
        app.logger.warning('bm firmware: %s updated to %s', member_id, match['version'])
    elif not failure:
        app.logger.warning('bm fault: firmware update accepted and ignored')
    task_id = f'fw-{len(firmware_tasks) + 1}'
    message = {'MessageId': 'Update.1.0.UpdateSuccessful' if not failure else 'Update.1.0.ApplyFailed', 'Message': failure or 'the image was applied'}
    firmware_tasks[task_id] = {'state': 'Running', 'final': 'Exception' if failure else 'Completed', 'messages': [message]}
    response = flask.jsonify(_task_body(task_id))
    response.status_code = 202
    response.headers['Location'] = f'/redfish/v1/TaskService/Tasks/{task_id}'
    return response


app.view_functions['UpdateService.update_service_simple_update'] = simple_update


@app.route('/redfish/v1/TaskService/Tasks/<task_id>', methods=['GET'])
@emulator.api_utils.returns_json
def firmware_task(task_id):
    task = firmware_tasks.get(task_id)
    if task is None:
        raise error.NotFound()
    body = _task_body(task_id)
    task['state'] = task['final']
    return flask.jsonify(body)


def _system_serial(identity):
    """The serial of a fake system (its ``serial`` key), else BM_SYSTEM_SERIALS by name or uuid; None when there is none."""
    systems = app.systems
    if isinstance(systems, fakedriver.FakeDriver):
        return systems._get(systems.uuid(identity)).get('serial')
    serials = _config('BM_SYSTEM_SERIALS') or {}
    return serials.get(identity) or serials.get(systems.uuid(identity)) or serials.get(systems.name(identity))


@app.after_request
def link_additions(response):
    """Adds to sushy's own GET answers what the resources above need: the links a client follows, the system's
    SerialNumber and (with our firmware model) the Manager's FirmwareVersion; sushy's templates know none of them."""
    if flask.request.method != 'GET' or response.status_code != 200 or not response.is_json:
        return response
    path = flask.request.path.rstrip('/')
    body = response.get_json()
    system_match = re.fullmatch(r'/redfish/v1/Systems/([^/]+)', path)
    if path == '/redfish/v1' and _config('BM_ACCOUNT_SERVICE'):
        body['AccountService'] = {'@odata.id': '/redfish/v1/AccountService'}
    elif system_match:
        serial = _system_serial(system_match.group(1))
        if serial is None:
            return response
        body['SerialNumber'] = serial
    elif re.fullmatch(r'/redfish/v1/Managers/[^/]+', path) and (_config('BM_NETWORK_PROTOCOL') or _config('BM_FIRMWARE_INVENTORY')):
        if _config('BM_NETWORK_PROTOCOL'):
            body['NetworkProtocol'] = {'@odata.id': f'{path}/NetworkProtocol'}
        if _config('BM_FIRMWARE_INVENTORY'):
            # The Manager's FirmwareVersion is the BMC member's version (sushy's is a fixed "1.00").
            body['FirmwareVersion'] = _inventory_member('bmc')['Version']
    else:
        return response
    response.set_data(flask.json.dumps(body))
    return response


if __name__ == '__main__':
    sys.exit(emulator.main())
