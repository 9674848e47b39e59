"""Student archives (学生档案): basic data and its Excel import, one long-running archive process per student
from enrolment to the sealed alumni archive, destination registration (毕业去向登记) and what reports read."""
