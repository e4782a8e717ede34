"""The registry's repositories: every SQL statement the services, the intake and the
publishers run against the registry, one module per capability.

A use case loads through a repository, calls the domain and persists (``session.add``,
``session.get``, ``flush``); it never builds a statement itself (``select``, ``update``,
``delete``, ``insert``, ``func``, ``text``). Repositories import only the models, the
vocabulary and SQLAlchemy, and return ORM rows or plain tuples, never domain objects.
"""
