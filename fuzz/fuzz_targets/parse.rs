//! Fuzz the patch parser: any input either fails with a `ParseError` or parses into patches
//! that the writer turns back into the input bytes. Never a panic. The one normalisation the
//! parser makes (an empty line inside a hunk is written back as ` ` + newline) makes the
//! output longer; then writing must at least be stable: parse(write(parse(x))) == parse(x).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mindelta::patch::parse_patches;
use mindelta::patch::write::write_patches;

fuzz_target!(|data: &[u8]| {
    if let Ok(patches) = parse_patches(data) {
        let written = write_patches(&patches);
        if written != data {
            assert!(written.len() > data.len(), "write(parse(x)) lost bytes");
            let again = parse_patches(&written).expect("written patches parse");
            assert_eq!(again, patches, "parse(write(p)) != p");
        }
        for patch in &patches {
            let _ = mindelta::patch::patch_id::patch_id(patch, 1);
            let _ = mindelta::patch::metadata::read_metadata(&patch.header);
        }
    }
    let _ = mindelta::patch::patch_id::stable_patch_ids(data);
});
