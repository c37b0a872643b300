//! The memory a decompressor will need, read from the archive's own header before the
//! decoder exists, so it can be reserved from the shared budget (`memory.rs`) and refused
//! when too large, instead of being allocated on the header's word.
//!
//! - xz: the LZMA2 dictionary size in the first block header (xz file format 1.2.1, §3.1 and
//!   §5.3.1). The decoder is then built with liblzma's memory limit set to what was reserved, so
//!   a later block or stream asking for more fails instead of allocating.
//! - zstd: the window size in the first frame header (RFC 8878 §3.1.1.1); the decoder's
//!   largest window (`window_log_max`) is set to the reserved one, with the same effect.
//!
//! gzip (32 KiB window) and bzip2 (under 4 MiB at level 9) have fixed, small needs.

/// Memory a decoder uses beside its dictionary or window: liblzma's and libzstd's own state
/// and buffers, generously (both stay under 300 KiB).
pub(super) const DECODER_OVERHEAD: u64 = 1 << 20;

/// zstd's default largest window (2^27 = 128 MiB, `ZSTD_WINDOWLOG_LIMIT_DEFAULT`), assumed when
/// the first frame header cannot be read.
const ZSTD_DEFAULT_WINDOW_LOG: u32 = 27;
/// The smallest and largest window logs zstd knows (`ZSTD_WINDOWLOG_ABSOLUTEMIN`,
/// `ZSTD_WINDOWLOG_MAX_64`).
const ZSTD_MIN_WINDOW_LOG: u32 = 10;
const ZSTD_MAX_WINDOW_LOG: u32 = 31;

/// The memory an xz decoder needs for the stream that starts with `head`.
///
/// A stream whose first block header cannot be read gets only the overhead: liblzma then
/// refuses any dictionary, as the limit it is built with is this number.
pub(super) fn xz_memory(head: &[u8]) -> u64 {
    DECODER_OVERHEAD + xz_dictionary(head).unwrap_or(0)
}

/// The LZMA2 dictionary size declared by the first block of the xz stream at `head`.
fn xz_dictionary(head: &[u8]) -> Option<u64> {
    // Stream header: magic (6), flags (2), CRC32 (4); then the first block header, whose first
    // byte is its size (0 means the stream has no block: the index follows).
    let size_byte = *head.get(12)?;
    if size_byte == 0 {
        return None;
    }
    let header_end = 12 + (usize::from(size_byte) + 1) * 4;
    let header = head.get(12..header_end)?;
    let flags = *header.get(1)?;
    let filters = usize::from(flags & 0x03) + 1;
    let mut at = 2;
    if flags & 0x40 != 0 {
        variable_length(header, &mut at)?; // compressed size
    }
    if flags & 0x80 != 0 {
        variable_length(header, &mut at)?; // uncompressed size
    }
    let mut dictionary = None;
    for _ in 0..filters {
        let id = variable_length(header, &mut at)?;
        let size = usize::try_from(variable_length(header, &mut at)?).ok()?;
        let properties = header.get(at..at.checked_add(size)?)?;
        at += size;
        if id == 0x21 && size == 1 {
            dictionary = lzma2_dictionary(properties[0]);
        }
    }
    dictionary
}

/// An xz variable-length integer (7 bits a byte, low first, at most 9 bytes).
fn variable_length(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for index in 0..9 {
        let byte = *bytes.get(*at)?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << (7 * index);
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// The dictionary size an LZMA2 properties byte encodes (xz format §5.3.1).
fn lzma2_dictionary(properties: u8) -> Option<u64> {
    let bits = u32::from(properties & 0x3f);
    match bits {
        0..40 => Some(u64::from(2 | (bits & 1)) << (bits / 2 + 11)),
        40 => Some(u64::from(u32::MAX)),
        _ => None,
    }
}

/// The window log a zstd decoder must accept for the stream that starts with `head`, and the
/// memory that window needs.
pub(super) fn zstd_window(head: &[u8]) -> (u32, u64) {
    let log = zstd_window_size(head)
        .map(|size| size.max(1).next_power_of_two().trailing_zeros())
        .unwrap_or(ZSTD_DEFAULT_WINDOW_LOG)
        .max(ZSTD_MIN_WINDOW_LOG);
    // Reserve what the header asks, so a refusal names the real need; a window past zstd's
    // own maximum is refused by the decoder in any case.
    let memory = DECODER_OVERHEAD.saturating_add(1u64.checked_shl(log).unwrap_or(u64::MAX));
    (log.min(ZSTD_MAX_WINDOW_LOG), memory)
}

/// The window size declared by the first frame of the zstd stream at `head`.
fn zstd_window_size(head: &[u8]) -> Option<u64> {
    if head.get(..4)? != [0x28, 0xb5, 0x2f, 0xfd] {
        return None;
    }
    let descriptor = *head.get(4)?;
    let single_segment = descriptor & 0x20 != 0;
    if !single_segment {
        let window = *head.get(5)?;
        let exponent = u32::from(window >> 3);
        let mantissa = u64::from(window & 0x07);
        let base = 1u64 << (10 + exponent);
        return Some(base + base / 8 * mantissa);
    }
    // A single-segment frame's window is its content size.
    let dictionary_bytes = [0, 1, 2, 4][usize::from(descriptor & 0x03)];
    let size_bytes = [1, 2, 4, 8][usize::from(descriptor >> 6)];
    let start = 5 + dictionary_bytes;
    let field = head.get(start..start + size_bytes)?;
    let mut size = 0u64;
    for (index, byte) in field.iter().enumerate() {
        size |= u64::from(*byte) << (8 * index);
    }
    Some(if size_bytes == 2 { size + 256 } else { size })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn xz(bytes: &[u8], preset: u32) -> Vec<u8> {
        let mut encoder = liblzma::write::XzEncoder::new(Vec::new(), preset);
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn reads_the_xz_dictionary_of_real_streams() {
        // Presets 0 and 6 use 256 KiB and 8 MiB dictionaries.
        assert_eq!(xz_dictionary(&xz(b"hello", 0)), Some(256 << 10));
        assert_eq!(xz_dictionary(&xz(b"hello", 6)), Some(8 << 20));
        assert_eq!(xz_dictionary(b"not xz"), None);
        assert_eq!(lzma2_dictionary(40), Some(u64::from(u32::MAX)));
        assert_eq!(lzma2_dictionary(41), None);
        assert_eq!(lzma2_dictionary(0), Some(4 << 10));
    }

    #[test]
    fn reads_the_zstd_window_of_real_streams() {
        let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
        encoder.write_all(&vec![7u8; 1 << 20]).unwrap();
        let streamed = encoder.finish().unwrap();
        let (log, memory) = zstd_window(&streamed);
        assert!((ZSTD_MIN_WINDOW_LOG..=21).contains(&log), "{log}");
        assert_eq!(memory, DECODER_OVERHEAD + (1 << log));
        // One shot: a single-segment frame whose window is its content size.
        let single = zstd::bulk::compress(b"hello", 3).unwrap();
        assert_eq!(zstd_window_size(&single), Some(5));
        assert_eq!(zstd_window(b"junk").0, ZSTD_DEFAULT_WINDOW_LOG);
    }
}
