//! Hostile and broken state of an unfinished upgrade (`.mindelta/upgrade/<package>/`): a
//! damaged or forged `state.json`, a tampered carried patch, a work tree file turned into a
//! link, a state folder that is a link, patches edited under a stop. Each is refused with the
//! file and the way out, and nothing outside the workspace is read or written.

use std::fs;

use crate::upgrade::{four_patches, stderr};

fn stopped() -> crate::upgrade::Demo {
    let demo = four_patches();
    let output = demo.run(&["upgrade", "demo", "--release", "2.0"]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    demo
}

fn state(demo: &crate::upgrade::Demo) -> std::path::PathBuf {
    demo.root.join(".mindelta/upgrade/demo/state.json")
}

#[test]
fn a_damaged_state_is_named_and_abort_clears_it() {
    let demo = stopped();
    let before = demo.files();
    fs::write(state(&demo), b"{\"package\": 7").unwrap();
    for args in [
        &["upgrade", "demo", "--continue"][..],
        &["upgrade", "demo", "--release", "2.0"][..],
        &["list"][..],
    ] {
        let output = demo.run(args);
        if args[0] == "list" {
            // `list` shows what it can; the damaged state is not an unfinished upgrade.
            assert!(output.status.success(), "{}", stderr(&output));
            continue;
        }
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let text = stderr(&output);
        assert!(
            text.contains("state.json") && text.contains("--abort"),
            "{text}"
        );
    }
    let output = demo.run(&["upgrade", "demo", "--abort"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!demo.root.join(".mindelta/upgrade/demo").exists());
    assert_eq!(demo.files(), before);
}

#[test]
fn a_forged_stop_outside_the_series_is_refused() {
    let demo = stopped();
    let text = fs::read_to_string(state(&demo)).unwrap();
    let forged = text.replace("\"index\": 2", "\"index\": 99");
    assert_ne!(forged, text);
    fs::write(state(&demo), forged).unwrap();
    let output = demo.run(&["upgrade", "demo", "--continue"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("does not fit the series"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_tampered_carried_patch_is_refused() {
    let demo = stopped();
    let carried = demo.root.join(".mindelta/upgrade/demo/carried/1.patch");
    let text = fs::read_to_string(&carried).unwrap();
    fs::write(&carried, text.replace("-line 12;", "-line 99;")).unwrap();
    let output = demo.run(&["upgrade", "demo", "--continue"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("no longer applies"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_work_tree_file_turned_into_a_link_is_not_followed() {
    let demo = stopped();
    let outside = demo.root.parent().unwrap().join("secret.c");
    fs::write(&outside, "secret\n").unwrap();
    let file = demo.work_tree().join("f.c");
    fs::remove_file(&file).unwrap();
    std::os::unix::fs::symlink(&outside, &file).unwrap();
    let before = demo.files();
    let output = demo.run(&["upgrade", "demo", "--continue"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("link"), "{}", stderr(&output));
    assert_eq!(demo.files(), before);
    assert_eq!(fs::read_to_string(&outside).unwrap(), "secret\n");
}

#[test]
fn a_state_folder_that_is_a_link_is_refused() {
    let demo = four_patches();
    let outside = demo.root.parent().unwrap().join("elsewhere");
    fs::create_dir_all(&outside).unwrap();
    fs::create_dir_all(demo.root.join(".mindelta")).unwrap();
    std::os::unix::fs::symlink(&outside, demo.root.join(".mindelta/upgrade")).unwrap();
    let output = demo.run(&["upgrade", "demo", "--release", "2.0"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("link"), "{}", stderr(&output));
    assert_eq!(fs::read_dir(&outside).unwrap().count(), 0);
}

#[test]
fn patches_edited_under_a_stop_are_not_mixed_with_it() {
    let demo = stopped();
    let patch = demo.package().join("0004-thirtyfive.patch");
    let text = fs::read_to_string(&patch).unwrap();
    fs::write(&patch, text.replace("ours 35;", "edited 35;")).unwrap();
    let output = demo.run(&["upgrade", "demo", "--continue"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("changed since the upgrade stopped"),
        "{}",
        stderr(&output)
    );
    assert!(state(&demo).exists());
}

/// A lock file planted as a link to a file outside the workspace: refused, never opened
/// through (nothing is created there), and the package is untouched.
#[test]
fn a_lock_file_that_is_a_link_is_refused_not_followed() {
    let demo = four_patches();
    let before = demo.files();
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("planted");
    fs::create_dir_all(demo.root.join(".mindelta/upgrade")).unwrap();
    std::os::unix::fs::symlink(&target, demo.root.join(".mindelta/upgrade/demo.lock")).unwrap();
    let output = demo.run(&["upgrade", "demo", "--release", "2.0"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(
        text.contains("demo.lock") && text.contains("symbolic link") && text.contains("remove it"),
        "{text}"
    );
    assert!(!target.exists(), "the link was followed");
    assert_eq!(demo.files(), before);
}
