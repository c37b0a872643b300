//! The pin editor on whole package files: every style of value, every subset of words.

use super::*;

const PACKAGE: &str = r#"package:
  name: gw
  version: "1.0"
  epoch: 0

pipeline:
  - uses: git-checkout
    with:
      repository: https://example.org/gw
      tag: v${{package.version}}

  # CVE-2024-45337, CVE-2024-45338
  - uses: go/bump
    with:
      deps: golang.org/x/crypto@v0.31.0 golang.org/x/net@v0.33.0 # pinned for CVEs
      replaces: github.com/docker/docker=github.com/moby/moby@v26.1.5+incompatible

  - uses: go/bump
    with:
      deps: |
        a.example/one@v1.0.0 \
        a.example/two@v1.0.0
        a.example/three@v1.0.0
      modroot: ./cmd

  - uses: bump
    with:
      deps: "b.example/one@v1.0.0 b.example/two@v1.0.0"
      replaces: >-
        c.example/x=c.example/x@v1.0.0

  - runs: go build ./...
"#;

const CRYPTO: &str = "golang.org/x/crypto@v0.31.0";
const NET: &str = "golang.org/x/net@v0.33.0";
const DOCKER: &str = "github.com/docker/docker=github.com/moby/moby@v26.1.5+incompatible";

fn removal(line: usize, item: &str, replaces: bool) -> PinRemoval {
    PinRemoval {
        line,
        target: PinTarget::Item {
            item: item.into(),
            input: if replaces {
                PinInput::Replaces
            } else {
                PinInput::Dependencies
            },
        },
        note: format!("dropped {item}"),
    }
}

fn remove(text: &str, removals: &[PinRemoval]) -> Result<PinEdit, MelangeEditError> {
    let temp = tempfile::tempdir().unwrap();
    let path = temp.path().join("gw.yaml");
    remove_pins(
        &path,
        text,
        removals,
        &BTreeSet::new(),
        &MelangeOptions::default(),
    )
}

#[test]
fn a_word_leaves_its_value_and_a_note_goes_above_the_step() {
    let edit = remove(PACKAGE, &[removal(13, CRYPTO, false)]).unwrap();
    assert!(edit.held.is_empty(), "{:?}", edit.held);
    assert_eq!(
        edit.text,
        PACKAGE.replace(
            "  # CVE-2024-45337, CVE-2024-45338\n  - uses: go/bump\n    with:\n      deps: golang.org/x/crypto@v0.31.0 golang.org/x/net@v0.33.0 # pinned",
            "  # dropped golang.org/x/crypto@v0.31.0\n  # CVE-2024-45337, CVE-2024-45338\n  - uses: go/bump\n    with:\n      deps: golang.org/x/net@v0.33.0 # pinned"
        )
    );
    // The last word takes the blanks before it; the comment after the value stays.
    let edit = remove(PACKAGE, &[removal(13, NET, false)]).unwrap();
    assert!(
        edit.text
            .contains("      deps: golang.org/x/crypto@v0.31.0 # pinned for CVEs\n"),
        "{}",
        edit.text
    );
}

#[test]
fn a_step_left_without_pins_goes_with_its_comment() {
    let edit = remove(
        PACKAGE,
        &[
            removal(13, CRYPTO, false),
            removal(13, NET, false),
            removal(13, DOCKER, true),
        ],
    )
    .unwrap();
    assert!(edit.held.is_empty(), "{:?}", edit.held);
    assert!(
        edit.text.contains(&format!(
            "      tag: v${{{{package.version}}}}\n\n  # dropped {CRYPTO}\n  # dropped {NET}\n  # dropped {DOCKER}\n\n  - uses: go/bump\n    with:\n      deps: |\n"
        )),
        "{}",
        edit.text
    );
    assert!(!edit.text.contains("CVE-2024"), "{}", edit.text);
}

#[test]
fn go_bump_keeps_one_dependency_while_replaces_remain() {
    let edit = remove(
        PACKAGE,
        &[removal(13, CRYPTO, false), removal(13, NET, false)],
    )
    .unwrap();
    assert_eq!(edit.held.len(), 1, "{:?}", edit.held);
    assert_eq!(edit.held[0].index, 0);
    assert!(edit.held[0].reason.contains("`go/bump` needs `deps`"));
    assert!(
        edit.text
            .contains("      deps: golang.org/x/crypto@v0.31.0 # pinned for CVEs\n      replaces: github.com/docker/docker="),
        "{}",
        edit.text
    );
    // A replace alone goes from its input; the input goes with it.
    let edit = remove(PACKAGE, &[removal(13, DOCKER, true)]).unwrap();
    assert!(edit.held.is_empty());
    assert!(
        edit.text.contains(&format!(
            "      deps: {CRYPTO} {NET} # pinned for CVEs\n\n  - uses: go/bump\n"
        )),
        "{}",
        edit.text
    );
}

#[test]
fn block_scalars_lose_lines_and_a_dangling_continuation_is_closed() {
    let two = removal(18, "a.example/two@v1.0.0", false);
    let three = removal(18, "a.example/three@v1.0.0", false);
    let one = removal(18, "a.example/one@v1.0.0", false);
    let edit = remove(PACKAGE, std::slice::from_ref(&two)).unwrap();
    assert!(
        edit.text.contains(
            "      deps: |\n        a.example/one@v1.0.0 \\\n        a.example/three@v1.0.0\n      modroot: ./cmd\n"
        ),
        "{}",
        edit.text
    );
    let edit = remove(PACKAGE, &[two.clone(), three]).unwrap();
    assert!(
        edit.text
            .contains("      deps: |\n        a.example/one@v1.0.0\n      modroot: ./cmd\n"),
        "{}",
        edit.text
    );
    let edit = remove(PACKAGE, &[one, two]).unwrap();
    assert!(
        edit.text
            .contains("      deps: |\n        a.example/three@v1.0.0\n      modroot: ./cmd\n"),
        "{}",
        edit.text
    );
}

#[test]
fn quoted_and_folded_values_keep_their_style_and_bump_loses_an_empty_deps() {
    let one = removal(26, "b.example/one@v1.0.0", false);
    let two = removal(26, "b.example/two@v1.0.0", false);
    let edit = remove(PACKAGE, std::slice::from_ref(&one)).unwrap();
    assert!(
        edit.text.contains("      deps: \"b.example/two@v1.0.0\"\n"),
        "{}",
        edit.text
    );
    let edit = remove(PACKAGE, std::slice::from_ref(&two)).unwrap();
    assert!(
        edit.text.contains("      deps: \"b.example/one@v1.0.0\"\n"),
        "{}",
        edit.text
    );
    // Omnibump runs with `replaces` alone: `deps` goes whole.
    let edit = remove(PACKAGE, &[one.clone(), two.clone()]).unwrap();
    assert!(edit.held.is_empty());
    assert!(
        edit.text.contains(
            "  - uses: bump\n    with:\n      replaces: >-\n        c.example/x=c.example/x@v1.0.0\n"
        ),
        "{}",
        edit.text
    );
    let x = removal(26, "c.example/x=c.example/x@v1.0.0", true);
    let edit = remove(PACKAGE, &[one, two, x]).unwrap();
    assert!(!edit.text.contains("uses: bump"), "{}", edit.text);
    assert!(
        edit.text
            .contains("  # dropped c.example/x=c.example/x@v1.0.0\n\n  - runs: go build"),
        "{}",
        edit.text
    );
}

#[test]
fn what_cannot_be_edited_in_place_is_held() {
    // An anchor shared with another step, and an escape.
    let text = PACKAGE
        .replace(
            "deps: golang.org/x/crypto@v0.31.0 golang.org/x/net@v0.33.0 # pinned for CVEs",
            "deps: &shared golang.org/x/crypto@v0.31.0 golang.org/x/net@v0.33.0",
        )
        .replace(
            "deps: \"b.example/one@v1.0.0 b.example/two@v1.0.0\"",
            "deps: \"b.example/one\\x40v1.0.0 b.example/two@v1.0.0\"",
        );
    let edit = remove(
        &text,
        &[
            removal(13, CRYPTO, false),
            removal(26, "b.example/one@v1.0.0", false),
            removal(26, "b.example/two@v1.0.0", false),
            removal(40, CRYPTO, false),
            removal(13, "golang.org/x/text@v0.21.0", false),
        ],
    )
    .unwrap();
    let reasons: Vec<(usize, &str)> = edit
        .held
        .iter()
        .map(|h| (h.index, h.reason.as_str()))
        .collect();
    assert_eq!(reasons.len(), 4, "{reasons:?}");
    assert!(reasons[0].1.contains("YAML anchor"), "{reasons:?}");
    assert!(reasons[1].1.contains("not written as is"), "{reasons:?}");
    assert_eq!(reasons[2].0, 3);
    assert!(reasons[2].1.contains("no bump step at line 40"));
    assert!(reasons[3].1.contains("is not in the step's `deps`"));
    // The one that could go went.
    assert!(
        edit.text
            .contains("      deps: \"b.example/one\\x40v1.0.0\"\n"),
        "{}",
        edit.text
    );
    // Through an alias.
    let text = PACKAGE.replace(
        "      deps: \"b.example/one@v1.0.0 b.example/two@v1.0.0\"\n",
        "      deps: *shared\n",
    );
    let text = text.replace(
        "deps: golang.org/x/crypto@v0.31.0 golang.org/x/net@v0.33.0 # pinned for CVEs",
        "deps: &shared golang.org/x/crypto@v0.31.0 golang.org/x/net@v0.33.0",
    );
    let edit = remove(&text, &[removal(26, CRYPTO, false)]).unwrap();
    assert_eq!(edit.text, text);
    assert!(
        edit.held[0].reason.contains("YAML alias"),
        "{:?}",
        edit.held
    );
}

#[test]
fn every_subset_of_words_goes_from_every_style_of_value() {
    let styles = [
        "deps: a.example/a@v1 a.example/b@v2 a.example/c@v3",
        "deps: a.example/a@v1\n        a.example/b@v2\n        a.example/c@v3",
        "deps: a.example/a@v1 \\\n        a.example/b@v2 \\\n        a.example/c@v3",
        "deps: \"a.example/a@v1\n        a.example/b@v2 a.example/c@v3\"",
        "deps: 'a.example/a@v1 a.example/b@v2\n        a.example/c@v3'",
        "deps: |\n        a.example/a@v1 \\\n        a.example/b@v2 \\\n        a.example/c@v3",
        "deps: |-\n        a.example/a@v1 a.example/b@v2\n\n        a.example/c@v3 \\",
        "deps: >-\n        a.example/a@v1\n        a.example/b@v2 a.example/c@v3",
        "\"deps\":   a.example/a@v1\ta.example/b@v2  a.example/c@v3   # three",
    ];
    let items = ["a.example/a@v1", "a.example/b@v2", "a.example/c@v3"];
    for style in styles {
        let text = format!(
            "package:\n  name: gw\n  version: \"1.0\"\n\npipeline:\n  - uses: bump\n    with:\n      {style}\n      replaces: x.example/x=x.example/x@v1\n  - runs: make\n"
        );
        for mask in 1..8u32 {
            let removals: Vec<PinRemoval> = items
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, item)| removal(6, item, false))
                .collect();
            let edit =
                remove(&text, &removals).unwrap_or_else(|e| panic!("{style} {mask}: {e}\n{text}"));
            assert!(edit.held.is_empty(), "{style} {mask}: {:?}", edit.held);
            assert!(edit.text.contains("  - runs: make\n"));
            // Each item once: in the value, or in the note of its removal.
            for (i, item) in items.iter().enumerate() {
                let noted = edit.text.contains(&format!("# dropped {item}\n"));
                assert_eq!(noted, mask & (1 << i) != 0, "{style} {mask}");
                assert_eq!(
                    edit.text.matches(item).count(),
                    1,
                    "{style} {mask}:\n{}",
                    edit.text
                );
            }
        }
    }
}

#[test]
fn a_word_is_found_whole_never_inside_a_longer_one() {
    let text = "a golang.org/x/net@v0.33.0x golang.org/x/net@v0.33.0";
    assert_eq!(
        find_word(text, 0, text.len(), NET),
        Some(text.len() - NET.len())
    );
    assert_eq!(find_word("x\"é@v1\"", 0, 8, "é@v1"), Some(2));
    assert_eq!(find_word("éé@v1x", 0, 7, "é@v1"), None);
}

const POMBUMP: &str = r#"package:
  name: jv
  version: "1.0"

pipeline:
  # CVE-2025-0001
  - uses: maven/pombump
    with:
      properties: netty.version@4.1.118.Final cxf.version@4.0.6
      patch-file: deps.yaml

  - runs: mvn package
"#;

fn entry(line: usize, goes: bool) -> PinRemoval {
    PinRemoval {
        line,
        target: PinTarget::Entry {
            file: "jv/deps.yaml".into(),
            reference: Some("patch-file".into()),
            goes,
        },
        note: "dropped an entry".into(),
    }
}

fn property(line: usize, item: &str) -> PinRemoval {
    PinRemoval {
        line,
        target: PinTarget::Item {
            item: item.into(),
            input: PinInput::Properties,
        },
        note: format!("dropped {item}"),
    }
}

fn remove_keeping(
    text: &str,
    removals: &[PinRemoval],
    keeps: &[usize],
) -> Result<PinEdit, MelangeEditError> {
    let temp = tempfile::tempdir().unwrap();
    let path = temp.path().join("jv.yaml");
    remove_pins(
        &path,
        text,
        removals,
        &keeps.iter().copied().collect(),
        &MelangeOptions::default(),
    )
}

#[test]
fn a_file_that_goes_takes_its_input_and_a_step_left_with_nothing_goes() {
    let all = [
        property(7, "netty.version@4.1.118.Final"),
        property(7, "cxf.version@4.0.6"),
        entry(7, true),
    ];
    let edit = remove_keeping(POMBUMP, &all, &[]).unwrap();
    assert!(edit.held.is_empty(), "{:?}", edit.held);
    assert_eq!(
        edit.text,
        POMBUMP.replace(
            "  # CVE-2025-0001\n  - uses: maven/pombump\n    with:\n      properties: netty.version@4.1.118.Final cxf.version@4.0.6\n      patch-file: deps.yaml\n",
            "  # dropped netty.version@4.1.118.Final\n  # dropped cxf.version@4.0.6\n  # dropped an entry\n"
        )
    );
    // The step keeps pins in another file: it stays, without a `with:` left empty.
    let edit = remove_keeping(POMBUMP, &all, &[7]).unwrap();
    assert!(
        edit.text.contains("  # dropped an entry\n  # CVE-2025-0001\n  - uses: maven/pombump\n\n  - runs: mvn package\n"),
        "{}",
        edit.text
    );
    // The file stays: only its note is written, the input naming it stays.
    let edit = remove_keeping(
        POMBUMP,
        &[property(7, "cxf.version@4.0.6"), entry(7, false)],
        &[],
    )
    .unwrap();
    assert!(
        edit.text.contains(
            "  # dropped cxf.version@4.0.6\n  # dropped an entry\n  # CVE-2025-0001\n  - uses: maven/pombump\n    with:\n      properties: netty.version@4.1.118.Final\n      patch-file: deps.yaml\n"
        ),
        "{}",
        edit.text
    );
}

#[test]
fn an_input_naming_a_file_that_is_an_alias_holds_the_file() {
    let text = POMBUMP
        .replace("      patch-file: deps.yaml\n", "      patch-file: *file\n")
        .replace(
            "  name: jv\n",
            "  name: jv\n  description: &file deps.yaml\n",
        );
    let edit = remove_keeping(&text, &[entry(8, true)], &[]).unwrap();
    assert_eq!(edit.held.len(), 1, "{:?}", edit.held);
    assert!(edit.held[0].reason.contains("alias"), "{:?}", edit.held);
    assert_eq!(edit.text, text);
}
