//! Fuzz the patch parser: any input either fails with a `ParseError` or parses into patches
//! that the writer turns back into exactly the input bytes. Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mindelta::patch::parse_patches;
use mindelta::patch::write::write_patches;

fuzz_target!(|data: &[u8]| {
    if let Ok(patches) = parse_patches(data) {
        assert_eq!(write_patches(&patches), data, "write(parse(x)) != x");
        for patch in &patches {
            let _ = mindelta::patch::patch_id::patch_id(patch, 1);
            let _ = mindelta::patch::metadata::read_metadata(&patch.header);
        }
    }
    let _ = mindelta::patch::patch_id::stable_patch_ids(data);
});
