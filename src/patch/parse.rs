//! (in progress)
pub struct ParseError; pub fn parse_patches() {}
