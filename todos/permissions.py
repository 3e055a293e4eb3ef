from accounts.permissions import register
from accounts.roles import ALL_ROLES

VIEW_TODOS = register(
    "todos.view_todos",
    ALL_ROLES,
    writes=False,
    description="See the actions owed at their centres (the dashboard, the reminder digest).",
)
