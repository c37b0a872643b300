//! The test support kit shared by the integration tests.
//!
//! - [`git::GitRepo`]: hermetic git repositories built with git's CLI (stable commit ids);
//! - [`http::HttpServer`]: a real HTTP server on 127.0.0.1 that can fail on purpose;
//! - archive builders below: tar (raw headers, so malicious names and links can be written),
//!   gzip, xz and zip, for fixtures.
//!
//! Each test crate uses a part of the kit, hence `dead_code` is allowed here.
#![allow(dead_code)]

pub mod cli;
pub mod git;
pub mod http;

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use mindelta::upstream::FetchOptions;

/// Fetch options for tests: the defaults, the cache at `cache`, and no wait between the tries
/// of a download (tests never sleep).
pub fn fetch_options(cache: impl Into<PathBuf>) -> FetchOptions {
    let mut options = FetchOptions::new(cache);
    options.retry_backoff = Duration::ZERO;
    options
}

/// One entry of a tar archive built by [`tar`].
#[derive(Debug, Clone)]
pub enum TarEntry {
    /// A regular file with permission bits (setuid and friends included, if asked).
    File {
        path: String,
        bytes: Vec<u8>,
        mode: u32,
    },
    /// A folder.
    Dir { path: String },
    /// A symbolic link.
    Symlink { path: String, target: String },
    /// A hard link to another entry (or anything else: names are written as given).
    HardLink { path: String, target: String },
    /// A character device.
    CharDevice { path: String },
    /// A fifo.
    Fifo { path: String },
}

impl TarEntry {
    /// A 0644 file.
    pub fn file(path: &str, bytes: impl AsRef<[u8]>) -> TarEntry {
        TarEntry::File {
            path: path.to_owned(),
            bytes: bytes.as_ref().to_vec(),
            mode: 0o644,
        }
    }

    /// A folder.
    pub fn dir(path: &str) -> TarEntry {
        TarEntry::Dir {
            path: path.to_owned(),
        }
    }

    /// A symbolic link.
    pub fn symlink(path: &str, target: &str) -> TarEntry {
        TarEntry::Symlink {
            path: path.to_owned(),
            target: target.to_owned(),
        }
    }
}

/// An uncompressed tar archive of these entries; names are written raw (no safety checks), so
/// malicious archives can be built. Names longer than 100 bytes use a GNU long-name entry.
pub fn tar(entries: &[TarEntry]) -> Vec<u8> {
    let mut builder = ::tar::Builder::new(Vec::new());
    for entry in entries {
        let mut header = ::tar::Header::new_gnu();
        header.set_mtime(1_700_000_000);
        header.set_uid(0);
        header.set_gid(0);
        let (path, data): (&str, &[u8]) = match entry {
            TarEntry::File { path, bytes, mode } => {
                header.set_entry_type(::tar::EntryType::Regular);
                header.set_mode(*mode);
                (path, bytes)
            }
            TarEntry::Dir { path } => {
                header.set_entry_type(::tar::EntryType::Directory);
                header.set_mode(0o755);
                (path, &[])
            }
            TarEntry::Symlink { path, target } => {
                header.set_entry_type(::tar::EntryType::Symlink);
                header.set_mode(0o777);
                set_raw(&mut header.as_old_mut().linkname, target);
                (path, &[])
            }
            TarEntry::HardLink { path, target } => {
                header.set_entry_type(::tar::EntryType::Link);
                header.set_mode(0o644);
                set_raw(&mut header.as_old_mut().linkname, target);
                (path, &[])
            }
            TarEntry::CharDevice { path } => {
                header.set_entry_type(::tar::EntryType::Char);
                header.set_mode(0o644);
                header.set_device_major(1).expect("device major");
                header.set_device_minor(3).expect("device minor");
                (path, &[])
            }
            TarEntry::Fifo { path } => {
                header.set_entry_type(::tar::EntryType::Fifo);
                header.set_mode(0o644);
                (path, &[])
            }
        };
        header.set_size(data.len() as u64);
        if path.len() < 100 {
            set_raw(&mut header.as_old_mut().name, path);
            header.set_cksum();
            builder.append(&header, data).expect("append a tar entry");
        } else {
            builder
                .append_data(&mut header, path, data)
                .expect("append a long tar entry");
        }
    }
    builder.into_inner().expect("finish the tar archive")
}

fn set_raw(field: &mut [u8], value: &str) {
    assert!(
        value.len() < field.len(),
        "`{value}` is too long for a raw tar field"
    );
    field.fill(0);
    field[..value.len()].copy_from_slice(value.as_bytes());
}

/// Gzip some bytes.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

/// Xz some bytes.
pub fn xz(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = liblzma::write::XzEncoder::new(Vec::new(), 6);
    encoder.write_all(bytes).expect("xz");
    encoder.finish().expect("xz")
}

/// A gzipped tar with one file of `size` zero bytes, built without holding them in memory: a
/// decompression bomb a few KiB long.
pub fn gzip_bomb(size: u64) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let mut header = ::tar::Header::new_gnu();
    header.set_entry_type(::tar::EntryType::Regular);
    header.set_mode(0o644);
    header.set_size(size);
    set_raw(&mut header.as_old_mut().name, "zeros.bin");
    header.set_cksum();
    encoder.write_all(header.as_bytes()).expect("bomb header");
    let zeros = vec![0u8; 1 << 20];
    let mut left = size.div_ceil(512) * 512;
    while left > 0 {
        let chunk = left.min(zeros.len() as u64) as usize;
        encoder.write_all(&zeros[..chunk]).expect("bomb body");
        left -= chunk as u64;
    }
    encoder.write_all(&[0u8; 1024]).expect("bomb end");
    encoder.finish().expect("bomb")
}

/// One entry of a zip archive built by [`zip`].
#[derive(Debug, Clone)]
pub enum ZipEntry {
    /// A file (names are written as given).
    File { path: String, bytes: Vec<u8> },
    /// A symbolic link.
    Symlink { path: String, target: String },
}

/// A zip archive of these entries.
pub fn zip(entries: &[ZipEntry]) -> Vec<u8> {
    let mut writer = ::zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = ::zip::write::SimpleFileOptions::default()
        .compression_method(::zip::CompressionMethod::Deflated)
        .unix_permissions(0o644);
    for entry in entries {
        match entry {
            ZipEntry::File { path, bytes } => {
                writer
                    .start_file(path.as_str(), options)
                    .expect("zip entry");
                writer.write_all(bytes).expect("zip data");
            }
            ZipEntry::Symlink { path, target } => {
                writer
                    .add_symlink(path.as_str(), target.as_str(), options)
                    .expect("zip link");
            }
        }
    }
    writer.finish().expect("finish the zip").into_inner()
}

/// The sha256 of some bytes, in lower-case hex.
pub fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Every path under `root` (relative, sorted), to assert what a tree holds.
pub fn list_tree(root: &std::path::Path) -> Vec<String> {
    fn walk(root: &std::path::Path, dir: &std::path::Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let relative = path.strip_prefix(root).expect("under root");
            out.push(relative.display().to_string());
            if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                walk(root, &path, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}
