//! Hostile and broken patch files: paths, links, counts, garbage, payload sizes.
