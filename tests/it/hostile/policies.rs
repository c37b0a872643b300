//! Hostile policies and the messages of failures.
