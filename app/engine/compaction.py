"""Keeping long-running instances small: finished history is cut out of the task tree.

SpiffWorkflow keeps every task an instance ever ran as a tree, and each round of a loop (a return for
correction, a reminder) hangs the next round below the last. Left alone, every step loads, walks and
rewrites the whole past (the cost of a step grows with the number of steps), and past a depth of 1000
SpiffWorkflow's task iterator stops looking, so a loop silently stalls after 500 rounds.

The history table already records everything that happened, so once the tree is big, the finished part
above the deepest task that all unfinished work descends from is dropped: that task is re-attached
below the workflow's start task. Only finished tasks that no unfinished task depends on are removed,
and never while a subprocess is running (subprocess parents keep their own trees). The BPMN ids of the
removed completed tasks are kept on the root task, so the diagram can still show them as done.
"""
from __future__ import annotations

from SpiffWorkflow.util.task import TaskState

THRESHOLD = 100  # tasks; below this a tree is cheap and left exactly as SpiffWorkflow built it
PRUNED_KEY = "platform_pruned_completed"


def compact(workflow) -> list:
    """Drop the finished ancestry of the workflow's open work; returns the removed tasks."""
    if len(workflow.tasks) < THRESHOLD or workflow.get_active_subprocesses():
        return []
    unfinished = [t for t in workflow.tasks.values() if not t.has_state(TaskState.FINISHED_MASK)]
    if not unfinished:
        return []
    anchor = _common_ancestor(unfinished)
    root = workflow.task_tree
    start = root.children[0] if root.children else None
    if anchor is None or start is None or anchor is start or anchor.parent is start or anchor is root:
        return []
    keep = {t.id for t in _subtree(anchor)} | {root.id, start.id}
    # Every task outside the anchor's subtree is finished (the anchor is an ancestor of all open work).
    removed = [t for t in workflow.tasks.values() if t.id not in keep]
    done = set(root.internal_data.get(PRUNED_KEY, []))
    done.update(t.task_spec.bpmn_id for t in removed
                if t.state == TaskState.COMPLETED and getattr(t.task_spec, "bpmn_id", None))
    for task in removed:
        del workflow.tasks[task.id]
    start._children = [anchor.id]
    anchor._parent = start.id
    root.internal_data[PRUNED_KEY] = sorted(done)
    if workflow.last_task is not None and workflow.last_task.id not in workflow.tasks:
        workflow.last_task = anchor
    return removed


def pruned_completed(workflow) -> list[str]:
    return list(workflow.task_tree.internal_data.get(PRUNED_KEY, []))


def _ancestry(task) -> list:
    chain = []
    while task is not None:
        chain.append(task)
        task = task.parent
    return chain[::-1]


def _common_ancestor(tasks):
    chains = [_ancestry(t) for t in tasks]
    common = None
    for level in zip(*chains):
        if all(t is level[0] for t in level):
            common = level[0]
        else:
            break
    return common


def _subtree(task):
    stack = [task]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.children)
