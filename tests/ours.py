"""Our apps, bottom to top as DESIGN.md §3 stacks them: the one list tests walk over."""

PACKAGES = ("audit", "incubator", "notifications", "applications", "reviews", "partners", "demo")
# The apps with models and admin pages (demo only seeds data).
MODEL_APPS = frozenset(PACKAGES) - {"demo"}
