//! Is a cached mirror's object store whole? A truncated or overwritten pack leaves the refs
//! readable while the objects they name are not, so tags "do not exist" for ever; this module
//! tells damage from absence, so the mirror is replaced (online) or named (offline).
//!
//! Two checks, both cheap: every pack agrees with its index (a few bytes at each end of each
//! file: the pack's trailing checksum is the one its `.idx` records, and their object counts
//! match), and every git error met while reading the mirror is classed by [`is_damage`].

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Length of a SHA-1 id, the mirrors' object format.
const ID_BYTES: u64 = 20;

/// Why the object store of the bare repository at `git_dir` is damaged, if it is.
pub(super) fn damage(git_dir: &Path) -> Option<String> {
    match std::fs::symlink_metadata(git_dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Some("it is a link or a file, not a folder".into()),
        Err(error) => return Some(format!("it cannot be read: {error}")),
    }
    if let Err(error) = crate::git::Repository::open_bare(git_dir) {
        let reason = super::super::http::error_chain(&error);
        return Some(format!("it is not a git repository: {reason}"));
    }
    let packs = git_dir.join("objects").join("pack");
    let Ok(entries) = std::fs::read_dir(&packs) else {
        return None;
    };
    for entry in entries.flatten() {
        let index = entry.path();
        if index.extension().and_then(|e| e.to_str()) != Some("idx") {
            continue;
        }
        let pack = index.with_extension("pack");
        if let Err(reason) = pack_agrees_with_index(&pack, &index) {
            let name = pack.file_name().unwrap_or_default().to_string_lossy();
            return Some(format!("pack `{name}` {reason}"));
        }
    }
    None
}

/// Check a version 2 index against its pack: object count and pack checksum.
fn pack_agrees_with_index(pack: &Path, index: &Path) -> Result<(), String> {
    let mut index_file =
        std::fs::File::open(index).map_err(|e| format!("has an unreadable index: {e}"))?;
    let index_length = index_file
        .metadata()
        .map_err(|e| format!("has an unreadable index: {e}"))?
        .len();
    let mut header = [0u8; 8];
    index_file
        .read_exact(&mut header)
        .map_err(|_| "has a truncated index".to_string())?;
    if header != [0xff, b't', b'O', b'c', 0, 0, 0, 2] {
        // Version 1 indexes (no magic) are not written by gix or git today; not checked.
        return Ok(());
    }
    // The fan-out table's last entry is the number of objects.
    let mut count = [0u8; 4];
    read_at(&mut index_file, 8 + 255 * 4, &mut count).map_err(|_| "has a truncated index")?;
    let objects = u64::from(u32::from_be_bytes(count));
    // Fan-out, ids, CRCs, offsets, then the pack's checksum and the index's own.
    let minimum = 8 + 256 * 4 + objects * (ID_BYTES + 8) + 2 * ID_BYTES;
    if index_length < minimum {
        return Err("has a truncated index".into());
    }
    let mut recorded = [0u8; ID_BYTES as usize];
    read_at(&mut index_file, index_length - 2 * ID_BYTES, &mut recorded)
        .map_err(|_| "has a truncated index")?;

    let mut pack_file = std::fs::File::open(pack).map_err(|e| format!("cannot be read: {e}"))?;
    let pack_length = pack_file
        .metadata()
        .map_err(|e| format!("cannot be read: {e}"))?
        .len();
    if pack_length < 12 + ID_BYTES {
        return Err("is truncated".into());
    }
    let mut pack_header = [0u8; 12];
    read_at(&mut pack_file, 0, &mut pack_header).map_err(|_| "is truncated")?;
    if &pack_header[..4] != b"PACK" {
        return Err("does not start with a pack header".into());
    }
    if u64::from(u32::from_be_bytes([
        pack_header[8],
        pack_header[9],
        pack_header[10],
        pack_header[11],
    ])) != objects
    {
        return Err("holds another number of objects than its index lists".into());
    }
    let mut trailer = [0u8; ID_BYTES as usize];
    read_at(&mut pack_file, pack_length - ID_BYTES, &mut trailer).map_err(|_| "is truncated")?;
    if trailer != recorded {
        return Err(
            "does not end with the checksum its index records (truncated or overwritten)".into(),
        );
    }
    Ok(())
}

fn read_at(file: &mut std::fs::File, offset: u64, buffer: &mut [u8]) -> std::io::Result<()> {
    file.seek(SeekFrom::Start(offset))?;
    file.read_exact(buffer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_truncated_pack_is_damage_and_a_whole_one_is_not() {
        let temp = tempfile::tempdir().unwrap();
        let work = temp.path().join("work");
        let bare = temp.path().join("bare.git");
        let git = |args: &[&str]| {
            let status = std::process::Command::new("git")
                .args(args)
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_AUTHOR_NAME", "t")
                .env("GIT_AUTHOR_EMAIL", "t@example.org")
                .env("GIT_COMMITTER_NAME", "t")
                .env("GIT_COMMITTER_EMAIL", "t@example.org")
                .status()
                .unwrap();
            assert!(status.success(), "git {args:?}");
        };
        let work_path = work.display().to_string();
        git(&["init", "-q", &work_path]);
        std::fs::write(work.join("a.txt"), "a\n".repeat(1000)).unwrap();
        git(&["-C", &work_path, "add", "."]);
        git(&["-C", &work_path, "commit", "-q", "-m", "one"]);
        git(&[
            "clone",
            "-q",
            "--bare",
            &work_path,
            &bare.display().to_string(),
        ]);
        git(&[
            "--git-dir",
            &bare.display().to_string(),
            "repack",
            "-q",
            "-a",
            "-d",
        ]);
        assert_eq!(damage(&bare), None);

        let pack = std::fs::read_dir(bare.join("objects/pack"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == "pack"))
            .unwrap();
        let length = std::fs::metadata(&pack).unwrap().len();
        let file = std::fs::OpenOptions::new().write(true).open(&pack).unwrap();
        file.set_len(length / 2).unwrap();
        let reason = damage(&bare).expect("a truncated pack is damage");
        assert!(reason.contains("checksum"), "{reason}");
    }
}
