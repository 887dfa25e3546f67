"""Moving a model to another app without losing what points at its content type.

Not a migration (the loader skips names that start with "_"): the migrations that move models
import it.
"""


def relabel_content_types(moves):
    """A RunPython function moving each `(model, old_app, new_app)` content type to its new app.

    Usually the old row is relabelled, so permissions, group grants and admin log entries follow.
    When a new row exists already (a partial migration back and forth can make one), the old
    row's grants are carried over to the new row's permissions and the old row is dropped.
    """

    def relabel(apps, schema_editor):
        content_types = apps.get_model("contenttypes", "ContentType").objects
        permissions = apps.get_model("auth", "Permission").objects
        for model, old_app, new_app in moves:
            old = content_types.filter(app_label=old_app, model=model).first()
            if old is None:
                continue
            new = content_types.filter(app_label=new_app, model=model).first()
            if new is None:
                old.app_label = new_app
                old.save(update_fields=["app_label"])
                continue
            for permission in permissions.filter(content_type=old):
                twin = permissions.filter(content_type=new, codename=permission.codename).first()
                if twin is None:
                    permission.content_type = new
                    permission.save(update_fields=["content_type"])
                    continue
                for group in permission.group_set.all():
                    group.permissions.add(twin)
                for user in permission.user_set.all():
                    user.user_permissions.add(twin)
            old.delete()

    return relabel


def reversed_moves(moves):
    return [(model, new_app, old_app) for model, old_app, new_app in moves]
