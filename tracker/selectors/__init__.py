"""The read layer's named reads (docs/architecture.md, "Reading").

Row-level rules live on the models' QuerySets (tracker/models/): who sees what (``visible_to``), what
"held on a date" means (``held_on``), an enterprise by id or USCC (``by_key``), the current fiscal year
(``current``). The modules here compose them into what readers ask for — the ruleset catalogue, the
current results and gaps with their failing criteria, an explanation as a given reader may see it —
and import nothing above the models and the engine.
"""
