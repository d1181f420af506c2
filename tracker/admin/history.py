from simple_history.admin import SimpleHistoryAdmin


class HistoryAdmin(SimpleHistoryAdmin):
    """History pages (who changed what, when) without "revert": a revert would bypass the services."""

    def revert_disabled(self, request, obj=None):
        return True
