"""What the trail says about actions owed."""

from audit.actions import register_action

TODO_OPENED = register_action(
    "todos.todo.opened",
    "Action opened",
    "Action for {owed_by}: {title}",
    replaces=["todo.opened"],
)
TODO_CLOSED = register_action(
    "todos.todo.closed",
    "Action done",
    "{actor} closed “{object}” ({note})",
    replaces=["todo.closed"],
)
