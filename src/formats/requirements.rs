//! pip requirements files. PENDING: being written by the requirements-reader work.
