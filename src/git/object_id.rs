//! [`ObjectId`]: a git object's SHA-1 id, the only id type outside `git/` (gix's stays inside).

use std::fmt;

/// The bytes of a SHA-1 object id.
pub const ID_LEN: usize = 20;

/// A git object id (SHA-1: mindelta's mirrors and the repositories it reads use SHA-1).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId([u8; ID_LEN]);

impl ObjectId {
    /// The null id (all zeros): git's "no object" on either side of a diff.
    pub const NULL: ObjectId = ObjectId([0; ID_LEN]);

    /// The id with these 20 bytes; `None` for another length.
    pub fn from_bytes(bytes: &[u8]) -> Option<ObjectId> {
        Some(ObjectId(bytes.try_into().ok()?))
    }

    /// The id spelled by 40 hexadecimal digits (either case); `None` for anything else.
    pub fn from_hex(hex: &[u8]) -> Option<ObjectId> {
        if hex.len() != 2 * ID_LEN {
            return None;
        }
        let mut bytes = [0; ID_LEN];
        for (byte, pair) in bytes.iter_mut().zip(hex.chunks_exact(2)) {
            let digit = |c: u8| (c as char).to_digit(16);
            *byte = (digit(pair[0])? * 16 + digit(pair[1])?) as u8;
        }
        Some(ObjectId(bytes))
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Whether this is the null id.
    pub fn is_null(&self) -> bool {
        self.0 == [0; ID_LEN]
    }

    pub(crate) fn from_gix(id: &gix::oid) -> ObjectId {
        ObjectId::from_bytes(id.as_bytes()).unwrap_or(ObjectId::NULL)
    }

    pub(crate) fn to_gix(self) -> gix::ObjectId {
        gix::ObjectId::Sha1(self.0)
    }
}

impl fmt::Display for ObjectId {
    /// The 40 lower-case hexadecimal digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectId({self})")
    }
}

impl std::str::FromStr for ObjectId {
    type Err = InvalidObjectId;

    fn from_str(text: &str) -> Result<ObjectId, InvalidObjectId> {
        ObjectId::from_hex(text.as_bytes()).ok_or_else(|| InvalidObjectId(text.to_string()))
    }
}

/// Text that is not 40 hexadecimal digits.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a full object id (40 hexadecimal digits)")]
pub struct InvalidObjectId(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_bad_text_is_refused() {
        let text = "0123456789abcdef0123456789ABCDEF01234567";
        let id: ObjectId = text.parse().unwrap();
        assert_eq!(id.to_string(), text.to_ascii_lowercase());
        assert_eq!(ObjectId::from_bytes(id.as_bytes()), Some(id));
        assert!("0123".parse::<ObjectId>().is_err());
        assert!(ObjectId::from_hex(&[b'g'; 40]).is_none());
        assert!(ObjectId::NULL.is_null() && !id.is_null());
        assert_eq!(ObjectId::from_gix(&id.to_gix()), id);
    }
}
