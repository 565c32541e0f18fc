"""The e-service: the citizens' form at `/` and `/<org-id>/`, the staff's register at `/staff`.

`app.py` lists every route; a view module per page (`citizen.py`, `staff.py`,
`stats.py`); `access.py` holds the one rule of who may see and do what, as a
function and as a query filter; `security.py` the CSRF tokens, passwords,
sessions and counters. The web never writes a case itself: a form submission
and a staff action go through the pipeline's code (`pipeline/web.py`) and the
register's transaction, so there is one door into the register.
"""
