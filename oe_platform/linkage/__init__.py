"""Person resolution: which person records are the same person (Splink 5 on DuckDB).

`pipeline.link_records` links any table of standardised person records with the committed model;
`pipeline.link_warehouse` is the platform's run (conformed.int_person_records -> <lake>/linkage/);
`cli.linkage_group` holds the `oe linkage` commands. The method is described in docs/linkage.md.
"""
