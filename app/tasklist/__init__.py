"""The task list: the inbox views and the task pages of every area's user tasks."""
