"""Migration operations that keep a large table writable while an index is built or dropped.

On PostgreSQL an index is created and dropped CONCURRENTLY (at 1M, a plain CREATE INDEX on the
metrics blocks their writes for 30–65 s); the embedded SQLite default takes the plain operation.
A migration using them sets ``atomic = False`` (CONCURRENTLY cannot run inside a transaction).
"""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations


class _PlainOnSQLite:
    """Run the concurrent operation on PostgreSQL and its plain parent (``plain``) elsewhere."""

    plain: type

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return self.plain.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return self.plain.database_backwards(self, app_label, schema_editor, from_state, to_state)


class AddIndexOnline(_PlainOnSQLite, AddIndexConcurrently):
    """CREATE INDEX CONCURRENTLY on PostgreSQL; a plain index on the embedded SQLite default — or
    ``sqlite_index`` there, when the index says what SQLite cannot (its index keys take no NULLS
    FIRST/LAST; it sorts the blanks lowest, so its DESC already puts them last)."""

    plain = migrations.AddIndex

    def __init__(self, model_name, index, sqlite_index=None):
        super().__init__(model_name, index)
        self.sqlite_index = sqlite_index

    def deconstruct(self):
        name, args, kwargs = super().deconstruct()
        return name, args, {**kwargs, **({"sqlite_index": self.sqlite_index} if self.sqlite_index else {})}

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql" or self.sqlite_index is None:
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.add_index(model, self.sqlite_index)


class RemoveIndexOnline(_PlainOnSQLite, RemoveIndexConcurrently):
    """DROP INDEX CONCURRENTLY on PostgreSQL; a plain drop on the embedded SQLite default."""

    plain = migrations.RemoveIndex
