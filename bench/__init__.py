"""The gateway measured against its floor: a bare boto3 client calling the same emulator.

``python -m bench`` (``--smoke`` for the tiny CI mode, ``--scenario NAME`` to pick some).
Each module has one job: ``procs`` starts and stops the servers, ``cpu`` reads /proc,
``loadgen`` and ``floor`` are the two client processes, ``scenarios`` pair them up,
``report`` prints the table and writes JSON.
"""
