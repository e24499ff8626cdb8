"""Admin mixins for records that only services write (checked and logged there): the admin shows them,
never adds, changes or deletes them."""


class NoAddChangeMixin:
    """Nothing added or changed here (an inline's rows: `obj` is the parent, as Django passes it)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyAdminMixin(NoAddChangeMixin):
    """Read-only: nothing added, changed or deleted here. Put it before the ModelAdmin base."""

    def has_delete_permission(self, request, obj=None):
        return False
