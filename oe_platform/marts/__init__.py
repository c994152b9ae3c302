"""The OE marts seen from outside dbt: how planted scenarios rank in them (`oe marts evaluate`)."""
