//! Fuzz archive extraction: any bytes, read as a tar and as a tar.gz, must never panic and
//! never write outside the destination.
//!
//! Each input is written to `sandbox/input.tar` and `sandbox/input.tar.gz` (the gzip variant is
//! the input compressed, so the fuzzer explores tar structure behind a decompressor too) and
//! extracted into `sandbox/out`; afterwards the sandbox may hold nothing but those.
#![no_main]

use std::io::Write;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use mindelta::upstream::archive::extract;

/// Bound on the expanded size, so the fuzzer does not fill the disk.
const LIMIT: u64 = 16 << 20;

fuzz_target!(|data: &[u8]| {
    let sandbox = tempfile::tempdir().expect("create a sandbox");
    let plain = sandbox.path().join("input.tar");
    std::fs::write(&plain, data).expect("write the input");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).expect("gzip the input");
    let gzipped = sandbox.path().join("input.tar.gz");
    std::fs::write(&gzipped, encoder.finish().expect("gzip the input")).expect("write the input");

    for archive in [&plain, &gzipped] {
        let out = sandbox.path().join("out");
        // Errors are expected; panics and escapes are not.
        let _ = extract(archive, &out, LIMIT);
        assert_contained(sandbox.path());
        let _ = std::fs::remove_dir_all(&out);
    }
});

/// Panic if the sandbox holds anything besides the inputs and `out`, or if a symbolic link under
/// `out` resolves outside it.
fn assert_contained(sandbox: &Path) {
    for entry in std::fs::read_dir(sandbox)
        .expect("list the sandbox")
        .flatten()
    {
        let name = entry.file_name();
        assert!(
            name == "input.tar" || name == "input.tar.gz" || name == "out",
            "wrote {name:?} outside the destination"
        );
    }
    let out = sandbox.join("out");
    let Ok(root) = out.canonicalize() else {
        return;
    };
    let mut stack = vec![out];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_symlink() {
                if let Ok(resolved) = path.canonicalize() {
                    assert!(resolved.starts_with(&root), "{path:?} resolves outside");
                }
            } else if kind.is_dir() {
                stack.push(path);
            }
        }
    }
}
