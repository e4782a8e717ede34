"""Pure rules of the plan: a target's status and progress from its definition and its yearly
values (:mod:`carbonpeak.domain.plan.progress`)."""
