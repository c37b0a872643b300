//! Fuzz the patch parser: any input either fails with a `ParseError` or parses into patches
//! that the writer turns back into the input bytes. Never a panic, never an allocation sized
//! from a count in the input (libFuzzer's `-malloc_limit_mb`, 2 GB by default, turns one into a
//! crash: the seeds in `fuzz/seeds/parse/` and the dictionary `fuzz/patch.dict` carry huge hunk
//! counts and binary sizes). The one normalisation the parser makes (an empty line inside a
//! hunk is written back as ` ` + newline) makes the output longer; then writing must at least
//! be stable: parse(write(parse(x))) == parse(x). What parses holds a diff that changes
//! something, and no path git refuses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mindelta_patch::dotgit::verify_git_path;
use mindelta_patch::parse_patches;
use mindelta_patch::write::write_patches;

fuzz_target!(|data: &[u8]| {
    if let Ok(patches) = parse_patches(data) {
        let files = || patches.iter().flat_map(|patch| &patch.files);
        assert!(
            files().any(|file| file.changes_anything()),
            "input without a diff parsed"
        );
        for file in files() {
            let renamed = file.rename.iter().chain(&file.copy);
            let names = file
                .old_path
                .iter()
                .chain(&file.new_path)
                .chain(renamed.flat_map(|(from, to)| [from, to]));
            for name in names {
                assert!(
                    verify_git_path(name, false).is_ok(),
                    "a path git refuses parsed: {:?}",
                    String::from_utf8_lossy(name)
                );
            }
        }
        let written = write_patches(&patches);
        if written != data {
            assert!(written.len() > data.len(), "write(parse(x)) lost bytes");
            let again = parse_patches(&written).expect("written patches parse");
            assert_eq!(again, patches, "parse(write(p)) != p");
        }
        for patch in &patches {
            let _ = mindelta_patch::patch_id::patch_id(patch, 1);
            let _ = mindelta_patch::metadata::read_metadata(&patch.header);
        }
    }
    let _ = mindelta_patch::patch_id::stable_patch_ids(data);
});
