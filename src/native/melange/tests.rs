//! The reader on whole package files: every way a Wolfi package names its patches, and the
//! tag of any version.

use std::path::Path;

use super::*;

const DEMO: &str = r#"package:
  name: demo
  version: "10.4_p1"
  epoch: 2

vars:
  short: "10.4"

var-transforms:
  - from: ${{package.version}}
    match: ^(\d+)\.(\d+)_p(\d+)$
    replace: V_${1}_${2}_P${3}
    to: mangled-package-version

data:
  - name: flavours
    items:
      small: s
      big:

pipeline:
  - uses: git-checkout
    with:
      repository: https://github.com/openssh/openssh-portable
      tag: ${{vars.mangled-package-version}}
      expected-commit: 0123456789012345678901234567890123456789
  - uses: patch
    with:
      patches: |
        one.patch \
        two.patch
        #disabled.patch
  - working-directory: build
    pipeline:
      - uses: patch
        with:
          patches: ../three.patch ${{package.srcdir}}/four.patch /home/build/five.patch
  - uses: patch
    with:
      series: series
  - uses: patch
    with:
      patches: generated-by-configure.patch
  - runs: |
      patch -p1 < shell.patch

subpackages:
  - name: demo-${{range.key}}
    range: flavours
    pipeline:
      - uses: patch
        with:
          patches: flavour-${{range.value}}.patch
  - name: demo-doc
    pipeline:
      - uses: git-am
        with:
          patches: doc.patch
"#;

fn repository() -> (tempfile::TempDir, std::path::PathBuf) {
    let temp = tempfile::tempdir().unwrap();
    let folder = temp.path().join("demo");
    std::fs::create_dir(&folder).unwrap();
    for name in [
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "flavour-s",
        "flavour-",
        "doc",
    ] {
        std::fs::write(folder.join(format!("{name}.patch")), "x").unwrap();
    }
    std::fs::write(folder.join("series"), "# from the series\nsix.patch\n\n").unwrap();
    let path = temp.path().join("demo.yaml");
    std::fs::write(&path, DEMO).unwrap();
    (temp, path)
}

#[test]
fn every_way_a_package_names_its_patches() {
    let (_temp, path) = repository();
    let package = read_package(&path, &MelangeOptions::default()).unwrap();
    let in_folder: Vec<&str> = package
        .patches
        .iter()
        .filter(|p| matches!(p.location, PatchLocation::PackageFolder(_)))
        .map(|p| p.workspace_path.as_str())
        .collect();
    assert_eq!(
        in_folder,
        [
            "one.patch",
            "two.patch",
            "three.patch",
            "four.patch",
            "five.patch",
            "six.patch",
            // The ranged subpackage, once per item, sorted by key; `big:` has no value.
            "flavour-.patch",
            "flavour-s.patch",
            "doc.patch",
        ]
    );
    let build_tree: Vec<&str> = package
        .patches
        .iter()
        .filter(|p| p.location == PatchLocation::BuildTree)
        .map(|p| p.workspace_path.as_str())
        .collect();
    assert_eq!(build_tree, ["generated-by-configure.patch"]);
    assert_eq!(package.shell_patches.len(), 1);
    let doc = package.patches.last().unwrap();
    assert_eq!(doc.tool, PatchTool::GitAm);
    assert!(doc.step.subpackage.is_some());
    let three = &package.patches[2];
    assert_eq!(three.step.path, [2, 0], "a nested step");
    assert_eq!(three.written, "../three.patch");
}

#[test]
fn the_tag_of_any_version_goes_through_var_transforms() {
    let (_temp, path) = repository();
    let package = read_package(&path, &MelangeOptions::default()).unwrap();
    assert_eq!(
        package.tag_at("10.4_p1").unwrap().as_deref(),
        Some("V_10_4_P1")
    );
    assert_eq!(
        package.tag_at("10.5_p2").unwrap().as_deref(),
        Some("V_10_5_P2")
    );
    let at = package.at("10.4_p1").unwrap();
    assert!(at.own_version);
    assert_eq!(
        at.git_checkouts[0].expected_commit.as_deref(),
        Some("0123456789012345678901234567890123456789")
    );
    assert!(!package.at("10.5_p2").unwrap().own_version);
}

#[test]
fn package_files_are_told_from_other_yaml() {
    let (temp, _path) = repository();
    std::fs::write(temp.path().join(".yam.yaml"), "indent: 2\n").unwrap();
    std::fs::write(temp.path().join("notes.yaml"), "package: x\n").unwrap();
    let files = package_files(temp.path()).unwrap();
    assert_eq!(files, [temp.path().join("demo.yaml")]);
    assert!(is_repository(temp.path()));
    assert!(!is_repository(&temp.path().join("demo")));
    assert!(!is_package_file(Path::new("/nonexistent.yaml")));
}
