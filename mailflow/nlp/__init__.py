"""Language tools the pipeline's steps share: word forms, compounds and term matching (`morph`),
and the names of people (`names`). Pure functions over text; no configuration, no I/O beyond
reading the data files shipped with the package.
"""
