"""The employment recommendation (就业推荐表): a student applies, the counselor and the career office review.
The process (bpmn/recommendations/) and its forms (forms/recommendations/) are all it needs: it is started
from the generic start page and worked on in the task list."""
