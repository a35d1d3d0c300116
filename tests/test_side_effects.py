"""The one rule for side effects (CONTRIBUTING, "Side effects"), checked in the source.

Notifications, tasks and messages are rows written in the transaction of the change that
causes them (an outbox the worker drains). Deferring them to `transaction.on_commit` would
lose them in a crash between the commit and the callback; talking to a gateway in the
request would hold the change up and send for changes that then roll back.
"""

from __future__ import annotations

import ast
from pathlib import Path

import kinga

ROOT = Path(kinga.__file__).parent
OUTBOX_WRITERS = {"notify", "message_send", "task_enqueue"}
# The only places that talk to a gateway: task handlers the worker runs.
GATEWAY_CALLERS = {
    "send_mail": {"kinga/notifications/services.py"},
    "get_backend": {"kinga/messaging/services.py", "kinga/messaging/backends.py"},
    "webhook_backend": {"kinga/api/webhooks.py"},
}


def sources() -> list[Path]:
    return [
        path
        for path in ROOT.rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts
    ]


def called_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def names_in(node: ast.AST) -> set[str]:
    found = set()
    for inner in ast.walk(node):
        if isinstance(inner, ast.Name):
            found.add(inner.id)
        elif isinstance(inner, ast.Attribute):
            found.add(inner.attr)
    return found


def test_no_notification_task_or_message_waits_for_on_commit() -> None:
    """Issue 12 point 4: nothing defers `notify`, `message_send` or `task_enqueue` to
    `transaction.on_commit`; they are written in the change's own transaction."""
    offenders = []
    for path in sources():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and called_name(node) == "on_commit":
                deferred = set().union(*(names_in(arg) for arg in node.args))
                if deferred & OUTBOX_WRITERS:
                    offenders.append(f"{path.relative_to(ROOT.parent)}:{node.lineno}")
    assert offenders == []


def test_only_the_worker_side_talks_to_a_gateway() -> None:
    """Issue 12 point 4: email and SMS gateways are called only from the task handlers of
    notifications and messaging (run by the worker), never from a view or a service."""
    offenders = []
    for path in sources():
        where = str(path.relative_to(ROOT.parent))
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            name = called_name(node) if isinstance(node, ast.Call) else ""
            if name in GATEWAY_CALLERS and where not in GATEWAY_CALLERS[name]:
                offenders.append(f"{where}:{node.lineno} calls {name}")
    assert offenders == []


def test_the_gateway_calls_are_inside_task_handlers() -> None:
    """Issue 12 point 4: in the modules allowed to call a gateway, the call sits in a
    function registered with `@task`, so it runs in the worker, after the commit."""
    for where, name in [
        ("kinga/notifications/services.py", "send_mail"),
        ("kinga/messaging/services.py", "get_backend"),
    ]:
        tree = ast.parse((ROOT.parent / where).read_text())
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            calls = {called_name(node) for node in ast.walk(function) if isinstance(node, ast.Call)}
            if name in calls:
                decorators = {
                    called_name(d) for d in function.decorator_list if isinstance(d, ast.Call)
                }
                assert "task" in decorators, f"{where}: {function.name} is not a task handler"
