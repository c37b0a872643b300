//! Git binary patches: base85 payload lines, zlib inflation and git's delta format.
//!
//! The parser calls `decode_base85_payload` and `inflate` to turn a `GIT binary patch`
//! (`literal`/`delta` blocks) into a `BinaryHunk`; the applier calls `apply_delta` to rebuild a
//! file from a `delta` payload. Git's base85 alphabet and delta encoding have no maintained
//! crate, and both are short; every length and offset read from the patch is bounds-checked.
//! No buffer is sized from a declared length before that length is reserved from the binary
//! payload budget (`super::budget`).

use std::io::Read;

use super::budget::{BudgetError, Reservation};

/// A binary payload that cannot be decoded or applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BinaryError {
    /// A base85 line is malformed; `line` is its 0-based index among the payload lines.
    #[error("invalid base85 line in binary patch: {message}")]
    Base85 { line: usize, message: String },
    /// The zlib stream is corrupt.
    #[error("corrupt compressed binary payload: {0}")]
    Inflate(String),
    /// The inflated payload does not have the size the patch declares.
    #[error("binary payload inflates to {actual} bytes, the patch declares {expected}")]
    SizeMismatch { expected: usize, actual: usize },
    /// The delta is malformed or does not fit the file it is applied to.
    #[error("invalid binary delta: {0}")]
    Delta(String),
    /// The declared size does not fit the binary payload budget; nothing was allocated.
    #[error("binary payload refused: {0}")]
    Budget(#[from] BudgetError),
}

const ALPHABET: &[u8; 85] =
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~";

fn base85_value(byte: u8) -> Option<u32> {
    ALPHABET.iter().position(|&c| c == byte).map(|v| v as u32)
}

/// Decode git's base85 lines (a length character, then the data) into the deflated bytes.
///
/// Each line may keep its `\n` or `\r\n`. The length character is `A`–`Z` for 1–26 bytes and
/// `a`–`z` for 27–52; the data is 5 characters per 4 bytes.
pub fn decode_base85_payload(lines: &[&[u8]]) -> Result<Vec<u8>, BinaryError> {
    let mut out = Vec::with_capacity(lines.len() * 52);
    for (index, raw) in lines.iter().enumerate() {
        let line = super::parse::trim_eol(raw);
        let bad = |message: String| BinaryError::Base85 {
            line: index,
            message,
        };
        let (&length_char, data) = line
            .split_first()
            .ok_or_else(|| bad("empty line".to_string()))?;
        let length = match length_char {
            b'A'..=b'Z' => usize::from(length_char - b'A') + 1,
            b'a'..=b'z' => usize::from(length_char - b'a') + 27,
            other => return Err(bad(format!("invalid length character `{}`", other as char))),
        };
        let expected_chars = length.div_ceil(4) * 5;
        if data.len() != expected_chars {
            return Err(bad(format!(
                "{} characters of data for {length} bytes (expected {expected_chars})",
                data.len()
            )));
        }
        let mut decoded = Vec::with_capacity(expected_chars / 5 * 4);
        for group in data.chunks(5) {
            let mut value: u64 = 0;
            for &c in group {
                let digit = base85_value(c)
                    .ok_or_else(|| bad(format!("invalid base85 character `{}`", c as char)))?;
                value = value * 85 + u64::from(digit);
            }
            let value =
                u32::try_from(value).map_err(|_| bad("base85 group out of range".to_string()))?;
            decoded.extend_from_slice(&value.to_be_bytes());
        }
        out.extend_from_slice(&decoded[..length]);
    }
    Ok(out)
}

/// Inflate a zlib stream that must produce exactly the bytes `reservation` paid for (the size
/// the payload declares, reserved before this call so that the buffer is never larger than the
/// budget allows).
pub fn inflate(data: &[u8], reservation: &Reservation) -> Result<Vec<u8>, BinaryError> {
    let expected_size = reservation.bytes();
    let mut out = Vec::with_capacity(expected_size);
    let limit = u64::try_from(expected_size)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    flate2::read::ZlibDecoder::new(data)
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|e| BinaryError::Inflate(e.to_string()))?;
    if out.len() != expected_size {
        return Err(BinaryError::SizeMismatch {
            expected: expected_size,
            actual: out.len(),
        });
    }
    Ok(out)
}

/// The size of the file a delta builds (the second number of its header), to reserve before
/// `apply_delta` runs.
pub fn delta_target_size(delta: &[u8]) -> Result<usize, BinaryError> {
    let mut at = 0;
    read_size(delta, &mut at)?;
    read_size(delta, &mut at)
}

/// Read one of the delta header's little-endian base-128 sizes.
fn read_size(delta: &[u8], at: &mut usize) -> Result<usize, BinaryError> {
    let mut size: usize = 0;
    let mut shift = 0;
    loop {
        let byte = *delta
            .get(*at)
            .ok_or_else(|| BinaryError::Delta("truncated size header".to_string()))?;
        *at += 1;
        if shift > 56 {
            return Err(BinaryError::Delta("size header too long".to_string()));
        }
        size |= usize::from(byte & 0x7f) << shift;
        shift += 7;
        if byte & 0x80 == 0 {
            return Ok(size);
        }
    }
}

/// The largest result a delta may declare: the size comes from the input (a patch, or a pack
/// from upstream for the history walk), so anything bigger is refused before it is built.
const MAX_DELTA_TARGET: usize = 1 << 30;

/// Apply a git delta (source size, target size, then copy/insert instructions) to `base`.
/// The same format serves GIT binary patches and packed objects (`git::history::objects`).
pub fn apply_delta(base: &[u8], delta: &[u8]) -> Result<Vec<u8>, BinaryError> {
    let fail = |message: &str| BinaryError::Delta(message.to_string());
    let mut at = 0;
    let source_size = read_size(delta, &mut at)?;
    if source_size != base.len() {
        return Err(BinaryError::Delta(format!(
            "delta expects a {source_size}-byte file, the file has {} bytes",
            base.len()
        )));
    }
    let target_size = read_size(delta, &mut at)?;
    if target_size > MAX_DELTA_TARGET {
        return Err(fail("delta declares a result larger than 1 GiB"));
    }
    let mut out = Vec::with_capacity(target_size.min(64 << 20));
    while at < delta.len() {
        let command = delta[at];
        at += 1;
        if command & 0x80 != 0 {
            let mut fields = [0usize; 7];
            for (bit, field) in fields.iter_mut().enumerate() {
                if command & (1 << bit) != 0 {
                    *field = usize::from(
                        *delta
                            .get(at)
                            .ok_or_else(|| fail("truncated copy instruction"))?,
                    );
                    at += 1;
                }
            }
            let offset = fields[0] | fields[1] << 8 | fields[2] << 16 | fields[3] << 24;
            let mut size = fields[4] | fields[5] << 8 | fields[6] << 16;
            if size == 0 {
                size = 0x10000;
            }
            let end = offset
                .checked_add(size)
                .filter(|&end| end <= base.len())
                .ok_or_else(|| fail("copy instruction reaches past the end of the file"))?;
            if out.len() + size > target_size {
                return Err(fail("delta writes more than its declared size"));
            }
            out.extend_from_slice(&base[offset..end]);
        } else if command != 0 {
            let size = usize::from(command);
            let data = delta
                .get(at..at + size)
                .ok_or_else(|| fail("truncated insert instruction"))?;
            if out.len() + size > target_size {
                return Err(fail("delta writes more than its declared size"));
            }
            out.extend_from_slice(data);
            at += size;
        } else {
            return Err(fail("reserved instruction 0"));
        }
    }
    if out.len() != target_size {
        return Err(BinaryError::Delta(format!(
            "delta produced {} bytes, it declares {target_size}",
            out.len()
        )));
    }
    Ok(out)
}

/// Encode bytes as git's base85 lines (52 bytes a line), each ending in `\n`.
pub fn encode_base85_payload(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() * 5 / 4 + data.len() / 52 * 2 + 8);
    for chunk in data.chunks(52) {
        out.push(if chunk.len() <= 26 {
            b'A' + chunk.len() as u8 - 1
        } else {
            b'a' + chunk.len() as u8 - 27
        });
        for group in chunk.chunks(4) {
            let mut bytes = [0u8; 4];
            bytes[..group.len()].copy_from_slice(group);
            let mut value = u32::from_be_bytes(bytes);
            let mut digits = [0u8; 5];
            for digit in digits.iter_mut().rev() {
                *digit = ALPHABET[(value % 85) as usize];
                value /= 85;
            }
            out.extend_from_slice(&digits);
        }
        out.push(b'\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn deflate(data: &[u8]) -> Vec<u8> {
        let mut encoder =
            flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn base85_round_trip_and_inflate() {
        let data: Vec<u8> = (0..200u32).map(|i| (i * 7 % 251) as u8).collect();
        let deflated = deflate(&data);
        let text = encode_base85_payload(&deflated);
        let lines: Vec<&[u8]> = text.split_inclusive(|b| *b == b'\n').collect();
        let decoded = decode_base85_payload(&lines).unwrap();
        assert_eq!(decoded, deflated);
        let reserve = |bytes| crate::budget::global().reserve(bytes).unwrap();
        assert_eq!(inflate(&decoded, &reserve(data.len())).unwrap(), data);
        assert!(matches!(
            inflate(&decoded, &reserve(data.len() + 1)),
            Err(BinaryError::SizeMismatch { .. })
        ));
    }

    #[test]
    fn bad_base85_line_is_refused() {
        let lines: [&[u8]; 2] = [b"zcmV\n", b"A00\n"];
        assert!(matches!(
            decode_base85_payload(&lines),
            Err(BinaryError::Base85 { line: 0, .. })
        ));
    }

    #[test]
    fn delta_copy_and_insert() {
        let base = b"hello world";
        // source 11, target 11: copy 6 bytes at 0, insert "there"
        let delta = [11, 11, 0x80 | 0x10, 6, 5, b't', b'h', b'e', b'r', b'e'];
        assert_eq!(delta_target_size(&delta).unwrap(), 11);
        assert_eq!(apply_delta(base, &delta).unwrap(), b"hello there");
        assert!(apply_delta(b"short", &delta).is_err());
        let past_end = [11, 11, 0x80 | 0x01 | 0x10, 10, 6];
        assert!(apply_delta(base, &past_end).is_err());
    }
}
