//! The user's files: outputs, links in the workspace, interrupted and repeated commands.
