"""Setup from Python: the seed's execute_init_sql (settings check, publication, DDL capture,
slot), slots and their status, through the engine's public admin API (sabot::PostgresAdmin)."""

from . import _native


class PostgresAdmin:
    """A regular connection for setup and monitoring (the connection fields of a config)."""

    def __init__(self, config):
        self.config = config
        self._native = _native.Admin(config._fields())  # pylint: disable=protected-access

    def init(self, slot=None, publication=None, plugin=None, tables=None, create_slot=True,
             install_ddl_capture=True):
        """Idempotent setup, like `sabot-cdc init`; defaults come from the config. Returns
        {'publication': 'created'|'exists'|'altered', 'slot_created': bool,
        'ddl_capture': {'outcome': ..., 'message': ...}}."""
        c = self.config
        return self._native.init(
            slot or c.slot_name, publication or c.publication_name, plugin or c.plugin,
            list(c.tables if tables is None else tables), create_slot, install_ddl_capture)

    def check_server_settings(self):
        self._native.check_server_settings()

    def ensure_publication(self, name, tables=()):
        return self._native.ensure_publication(name, list(tables))

    def ensure_slot(self, name, plugin="pgoutput", temporary=False):
        return self._native.ensure_slot(name, plugin, temporary)

    def list_slots(self):
        return self._native.list_slots()

    def find_slot(self, name):
        return self._native.find_slot(name)

    def drop_slot(self, name):
        self._native.drop_slot(name)

    def slot_status(self, slot=""):
        return self._native.slot_status(slot)

    def ddl_capture_state(self):
        return self._native.ddl_capture_state()

    def install_ddl_capture(self):
        return self._native.install_ddl_capture()

    def uninstall_ddl_capture(self):
        return self._native.uninstall_ddl_capture()

    def current_database(self):
        return self._native.current_database()

    def close(self):
        self._native = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def execute_init_sql(config, **options):
    """The seed's init: settings check, publication, DDL capture and slot, idempotent."""
    admin = PostgresAdmin(config)
    try:
        return admin.init(**options)
    finally:
        admin.close()


init_cdc = execute_init_sql
setup = execute_init_sql


def list_slots(config):
    return PostgresAdmin(config).list_slots()


def drop_slot(config, name):
    PostgresAdmin(config).drop_slot(name)


def slot_status(config, slot=""):
    return PostgresAdmin(config).slot_status(slot)
