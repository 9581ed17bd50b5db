"""``branchq maint``: the technician's maintenance commands (devices, tests, health, backups).

Every command prints a readable table (rich) or ``--json``, ends with plain-language lines for
what is wrong and what to do, and exits 0 when healthy, 1 when it found a fault, 2 on a usage
error. The command modules import their drivers only when run, so ``branchq maint --help`` is quick.
"""
