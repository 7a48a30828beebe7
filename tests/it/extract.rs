//! Integration tests of extract.
