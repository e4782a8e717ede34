"""API: plan supervision (任务清单、定期调度、年度考核).

Who may do what:

* ``district_admin``: everything: assign tasks, open rounds, review answers, answer for any
  unit, the board and the assessment;
* ``district_analyst``: reads everything, reviews answers (accept, or return with a comment)
  and assigns tasks their units;
* ``department_officer``: the tasks its organisation leads or supports, its own items of each
  round, answers them and downloads their evidence;
* ``street_officer``: the tasks the plan gives to the streets, its street's items, and answers
  them;
* every other role: refused (403).

A task, an item or a submission outside the caller's scope is answered exactly like one that
does not exist (404).
"""

from carbonpeak.api.routes.supervision.routes import router

__all__ = ["router"]
