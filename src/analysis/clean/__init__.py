"""The cleaning step: raw exports -> validated, pseudonymised processed tables.

Rules (DESIGN.md "Cleaning rules"):

* raw files are only read;
* every raw row is either kept or quarantined in ``rejected.csv`` with the file,
  row, column and rule it broke, so rows read = rows kept + rows rejected per file;
* personnummer are validated and replaced by a keyed pseudonym; none leaves this step;
* a file that cannot be used at all stops the project with one clear message.

All row rules are vectorised so that the same code cleans a register panel of
tens of millions of rows.
"""

from analysis.clean.result import CleanResult, FileReport
from analysis.clean.run import clean_project, validate_tables

__all__ = ["CleanResult", "FileReport", "clean_project", "validate_tables"]
