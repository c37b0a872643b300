//! Hostile downloads, archives, caches and git mirrors.
