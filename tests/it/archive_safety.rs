//! Malicious archives: each one is extracted into `sandbox/out`, must fail with the right
//! error, and must write nothing outside `out` (the sandbox holds only `out` and the archive).

use crate::support;

use std::path::{Path, PathBuf};

use mindelta::upstream::archive::extract;
use mindelta::upstream::{FetchError, Fetcher, SourceSpec};
use support::{TarEntry, ZipEntry};

const LIMIT: u64 = 1 << 20;

/// A sandbox with the archive written in it; returns (sandbox, archive, out).
fn sandbox(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let temp = tempfile::tempdir().unwrap();
    let archive = temp.path().join(name);
    std::fs::write(&archive, bytes).unwrap();
    let out = temp.path().join("out");
    (temp, archive, out)
}

/// Everything in the sandbox outside `out`, besides the archive.
fn outside(sandbox: &Path, archive: &Path) -> Vec<String> {
    let archive_name = archive.file_name().unwrap().to_string_lossy().into_owned();
    support::list_tree(sandbox)
        .into_iter()
        .filter(|path| path != "out" && !path.starts_with("out/") && *path != archive_name)
        .collect()
}

/// Extract, expect an unsafe-entry error naming `entry`, and check nothing escaped.
fn assert_refused(name: &str, bytes: &[u8], entry: &str) {
    let (temp, archive, out) = sandbox(name, bytes);
    let error = extract(&archive, &out, LIMIT).unwrap_err();
    match &error {
        FetchError::UnsafeArchive { entry: named, .. } => {
            assert_eq!(named, entry, "{error}")
        }
        other => panic!("{name}: expected UnsafeArchive, got {other:?}"),
    }
    assert_eq!(outside(temp.path(), &archive), Vec::<String>::new());
}

#[test]
fn parent_escape_is_refused() {
    let tar = support::tar(&[
        TarEntry::file("pkg/ok.txt", "ok"),
        TarEntry::file("pkg/../../evil.txt", "evil"),
    ]);
    assert_refused("escape.tar", &tar, "pkg/../../evil.txt");
}

#[test]
fn absolute_path_is_refused() {
    let temp = tempfile::tempdir().unwrap();
    let target = temp.path().join("absolute-evil.txt");
    let name = target.display().to_string();
    let tar = support::gzip(&support::tar(&[TarEntry::file(&name, "evil")]));
    assert_refused("absolute.tar.gz", &tar, &name);
    assert!(!target.exists());
}

#[test]
fn symlink_pointing_out_is_refused_before_anything_is_written_through_it() {
    let tar = support::tar(&[
        TarEntry::symlink("link", "../.."),
        TarEntry::file("link/escaped.txt", "evil"),
    ]);
    assert_refused("link-out.tar", &tar, "link");
    let absolute = support::tar(&[TarEntry::symlink("etc", "/etc")]);
    assert_refused("link-abs.tar", &absolute, "etc");
}

#[test]
fn writing_through_an_inner_symlink_is_refused() {
    let tar = support::tar(&[
        TarEntry::dir("sub/"),
        TarEntry::symlink("link", "sub"),
        TarEntry::file("link/through.txt", "x"),
    ]);
    assert_refused("through.tar", &tar, "link/through.txt");
}

#[test]
fn chained_symlinks_that_escape_together_are_refused() {
    // Each link alone stays inside; `l` -> `a/..` leaves through `a` -> `b/c` -> `..`.
    let tar = support::tar(&[
        TarEntry::dir("b/"),
        TarEntry::symlink("b/c", ".."),
        TarEntry::symlink("a", "b/c"),
        TarEntry::symlink("l", "a/.."),
    ]);
    let (temp, archive, out) = sandbox("chain.tar", &tar);
    let error = extract(&archive, &out, LIMIT).unwrap_err();
    assert!(
        matches!(&error, FetchError::UnsafeArchive { entry, .. } if entry == "l"),
        "{error:?}"
    );
    assert!(
        std::fs::symlink_metadata(out.join("l")).is_err(),
        "no link created"
    );
    assert_eq!(outside(temp.path(), &archive), Vec::<String>::new());
}

#[test]
fn hard_links_out_of_the_tree_are_refused() {
    let tar = support::tar(&[TarEntry::HardLink {
        path: "passwd".into(),
        target: "/etc/passwd".into(),
    }]);
    assert_refused("hard-abs.tar", &tar, "passwd");
    let tar = support::tar(&[TarEntry::HardLink {
        path: "secret".into(),
        target: "../secret".into(),
    }]);
    assert_refused("hard-parent.tar", &tar, "secret");
}

#[test]
fn hard_link_inside_the_tree_is_a_copy() {
    let tar = support::tar(&[
        TarEntry::file("a.txt", "same"),
        TarEntry::HardLink {
            path: "b.txt".into(),
            target: "a.txt".into(),
        },
    ]);
    let (_temp, archive, out) = sandbox("hard-ok.tar", &tar);
    extract(&archive, &out, LIMIT).unwrap();
    assert_eq!(std::fs::read(out.join("b.txt")).unwrap(), b"same");
}

#[test]
fn device_files_and_fifos_are_refused() {
    let tar = support::tar(&[TarEntry::CharDevice {
        path: "null".into(),
    }]);
    assert_refused("device.tar", &tar, "null");
    let tar = support::tar(&[TarEntry::Fifo {
        path: "pipe".into(),
    }]);
    assert_refused("fifo.tar", &tar, "pipe");
}

#[test]
fn setuid_and_setgid_bits_are_stripped() {
    use std::os::unix::fs::PermissionsExt;
    let tar = support::tar(&[TarEntry::File {
        path: "bin/tool".into(),
        bytes: b"#!/bin/sh\n".to_vec(),
        mode: 0o6755,
    }]);
    let (_temp, archive, out) = sandbox("setuid.tar", &tar);
    extract(&archive, &out, LIMIT).unwrap();
    let mode = std::fs::metadata(out.join("bin/tool"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o7777, 0o755);
}

#[test]
fn gzip_bomb_stops_at_the_size_bound() {
    let bomb = support::gzip_bomb(64 << 20);
    assert!(bomb.len() < 1 << 20, "the bomb itself is small");
    let (temp, archive, out) = sandbox("bomb.tar.gz", &bomb);
    let error = extract(&archive, &out, LIMIT).unwrap_err();
    assert!(
        matches!(error, FetchError::TooLarge { limit: LIMIT, .. }),
        "{error:?}"
    );
    let written = std::fs::metadata(out.join("zeros.bin")).map_or(0, |meta| meta.len());
    assert!(written <= LIMIT, "wrote {written} bytes");
    assert_eq!(outside(temp.path(), &archive), Vec::<String>::new());
}

#[test]
fn zip_slip_is_refused() {
    let zip = support::zip(&[
        ZipEntry::File {
            path: "ok.txt".into(),
            bytes: b"ok".to_vec(),
        },
        ZipEntry::File {
            path: "../zip-evil.txt".into(),
            bytes: b"evil".to_vec(),
        },
    ]);
    assert_refused("slip.zip", &zip, "../zip-evil.txt");
    let zip = support::zip(&[ZipEntry::Symlink {
        path: "etc".into(),
        target: "/etc".into(),
    }]);
    assert_refused("link.zip", &zip, "etc");
}

#[test]
fn long_names_and_git_metadata_are_handled() {
    let long = format!("pkg/{}/file.txt", "d".repeat(150));
    let tar = support::tar(&[
        TarEntry::file(&long, "deep"),
        TarEntry::file("pkg/.git/config", "[core]"),
    ]);
    let (_temp, archive, out) = sandbox("long.tar", &tar);
    extract(&archive, &out, LIMIT).unwrap();
    assert_eq!(std::fs::read(out.join(&long)).unwrap(), b"deep");
    assert!(!out.join("pkg/.git").exists(), "`.git` is never extracted");
}

#[test]
fn a_refused_tarball_leaves_no_destination() {
    let tar = support::gzip(&support::tar(&[
        TarEntry::file("pkg-1.0/ok.txt", "ok"),
        TarEntry::symlink("pkg-1.0/out", "../../.."),
    ]));
    let (temp, archive, _) = sandbox("pkg-1.0.tar.gz", &tar);
    let dest = temp.path().join("tree");
    let mut options = support::fetch_options(temp.path().join("cache"));
    options.offline = true;
    let spec = SourceSpec::Tarball {
        url: archive.display().to_string(),
        sha256: Some(support::sha256(&tar)),
    };
    let error = Fetcher::new(options, None)
        .materialize(&spec, &dest)
        .unwrap_err();
    assert!(
        matches!(error, FetchError::UnsafeArchive { .. }),
        "{error:?}"
    );
    assert_eq!(support::list_tree(temp.path()), ["pkg-1.0.tar.gz"]);
}

/// The checksum of an archive (what `import` and `pin` write, and a move to a new release) is
/// taken once the archive has been read through: a hostile one is refused as extraction
/// refuses it, and nothing is written, in the cache or beside the archive.
#[test]
fn a_checksum_is_refused_for_an_archive_that_would_not_unpack() {
    let escape = support::gzip(&support::tar(&[
        TarEntry::file("pkg-1.0/ok.txt", "ok"),
        TarEntry::file("pkg-1.0/../../evil.txt", "evil"),
    ]));
    let bomb = support::gzip_bomb(64 << 20);
    let good = support::gzip(&support::tar(&[TarEntry::file("pkg-1.0/ok.txt", "ok")]));
    for (name, bytes) in [
        ("escape.tar.gz", &escape),
        ("bomb.tar.gz", &bomb),
        ("good.tar.gz", &good),
    ] {
        let (temp, archive, _) = sandbox(name, bytes);
        let mut options = support::fetch_options(temp.path().join("cache"));
        options.offline = true;
        options.max_expanded_bytes = LIMIT;
        let result = Fetcher::new(options, None).checksum(&archive.display().to_string());
        match name {
            "escape.tar.gz" => assert!(
                matches!(&result, Err(FetchError::UnsafeArchive { entry, .. })
                    if entry == "pkg-1.0/../../evil.txt"),
                "{result:?}"
            ),
            "bomb.tar.gz" => assert!(
                matches!(result, Err(FetchError::TooLarge { limit: LIMIT, .. })),
                "{result:?}"
            ),
            _ => assert_eq!(result.unwrap(), support::sha256(bytes)),
        }
        let written: Vec<String> = support::list_tree(temp.path())
            .into_iter()
            .filter(|path| path != name && !temp.path().join(path).is_dir())
            .collect();
        assert_eq!(written, Vec::<String>::new(), "{name}");
    }
}

/// A selective extraction decompresses the entries it leaves out to reach the next header:
/// they count against the bound, so a bomb is bounded whatever is selected.
#[test]
fn a_selective_extraction_is_bounded_by_what_it_decompresses() {
    let bomb = support::gzip_bomb(64 << 20);
    let (temp, archive, out) = sandbox("bomb.tar.gz", &bomb);
    let error =
        mindelta::upstream::archive::extract_selected(&archive, &out, LIMIT, &mut |_| false)
            .unwrap_err();
    assert!(
        matches!(error, FetchError::TooLarge { limit: LIMIT, .. }),
        "{error:?}"
    );
    assert_eq!(outside(temp.path(), &archive), Vec::<String>::new());
}
