"""The article catalog: Markdown articles imported into SQL, searched and recommended.

* :mod:`secure_base.catalog.models`: the ``articles``, ``topics`` and ``article_topics``
  tables.
* :mod:`secure_base.catalog.articles`: parses and validates ``articles/<slug>.md`` (the
  rules for each front matter field are in :mod:`secure_base.catalog.frontmatter`).
* :mod:`secure_base.catalog.loader`: imports the validated articles idempotently.
* :mod:`secure_base.catalog.search`: the full-text index (SQLite FTS5 or PostgreSQL
  ``tsvector``) and :func:`~secure_base.catalog.search.recommend`.
* :mod:`secure_base.catalog.cli`: ``python -m secure_base.catalog import|list|validate``.

Importing this package is cheap: nothing touches a database or loads spaCy until called.
"""
