//! The patch side: does a patch change only dependency requirements, and which does it raise?
//!
//! Every changed line of every file must be a requirement of a known manifest (or a lock
//! file's line, or structure such as a blank line or a closing brace); anything else makes it
//! not a dependency patch, and the other detectors judge it. Removed and added requirements
//! are paired by file, name, section and qualifier: a pair whose added version is higher is a
//! raise, a lone added requirement is a new pin, a lone removed one a removal. A patch that
//! lowers a version, or changes one in a way that has no order (a git URL for a version), is
//! not a dependency patch either. Lock files ride with the manifest change of the same
//! dependency; a lock entry with no manifest change is a change of its own. Every change keeps
//! the hunk lines that carry it, so a partial patch can later shrink to the rest, and says
//! whether a lock file carries it (then it needs a refresh, not a hand edit).

use super::DependencyOptions;
use super::model::{Ecosystem, ManifestKind, Section};
use super::reader::{self, Declared, LineRole};
use super::version::{self, Comparison};
use crate::patch::{LineKind, Patch};
use std::collections::{HashMap, VecDeque};

/// One line of a patch: file, hunk and line indexes into [`Patch::files`], [`crate::patch::FilePatch::hunks`]
/// and [`crate::patch::Hunk::lines`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineLocation {
    pub file: usize,
    pub hunk: usize,
    pub line: usize,
}

/// What the patch does to one dependency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// From one version or range to a higher one.
    Raise { from: String, to: String },
    /// A requirement the patch adds with nothing before it (a new pin or override).
    Add { to: String },
    /// A requirement the patch removes with nothing after it.
    Remove { from: String },
}

impl Change {
    /// The version the patch sets (`None` for a removal).
    pub fn target(&self) -> Option<&str> {
        match self {
            Change::Raise { to, .. } | Change::Add { to } => Some(to),
            Change::Remove { .. } => None,
        }
    }
}

/// One dependency the patch changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DependencyChange {
    pub ecosystem: Ecosystem,
    /// The manifest the change is in.
    pub manifest: ManifestKind,
    /// The manifest's path in the tree (`-p` applied).
    pub file: String,
    pub name: String,
    pub section: Section,
    pub property: Option<String>,
    pub qualifier: Option<String>,
    pub change: Change,
    /// Every hunk line that carries this change: its removed and added lines, and the lock
    /// lines that ride with it. A shrink keeps the patch's other lines.
    pub lines: Vec<LineLocation>,
    /// The lock files that carry (part of) the change: shrinking it means regenerating them,
    /// not editing a hunk.
    pub lock_files: Vec<String>,
}

impl DependencyChange {
    /// True when a lock file carries (part of) the change.
    pub fn needs_refresh(&self) -> bool {
        !self.lock_files.is_empty()
    }
}

/// A patch that changes only dependency requirements.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DependencyPatch {
    pub changes: Vec<DependencyChange>,
    /// Changed lines that carry no change of their own: lock lines no change claims (a
    /// checksum, a transitive entry whose version did not move), requirements moved without a
    /// new version.
    pub other_lines: Vec<LineLocation>,
}

/// Why a patch is not a dependency patch (the other detectors judge it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotDependency {
    /// The patch has no file diff.
    Empty,
    /// A file is not a known manifest.
    NotManifest { file: String },
    /// A manifest is created, deleted, renamed, binary or only changes mode.
    WholeFile { file: String },
    /// A changed line is not a requirement (1-based line on its side of the file).
    OtherChange {
        file: String,
        line: usize,
        text: String,
    },
    /// The patch lowers a requirement.
    Lowers {
        file: String,
        name: String,
        from: String,
        to: String,
    },
    /// The patch changes a requirement between versions that have no order.
    Unordered {
        file: String,
        name: String,
        from: String,
        to: String,
    },
    /// Every changed line is a lock or structure line; no requirement changes.
    NoRequirement,
}

/// The outcome of [`analyze`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Analysis {
    Dependency(DependencyPatch),
    NotDependency(NotDependency),
}

/// A requirement line found in a hunk, before pairing.
#[derive(Debug, Clone)]
struct Found {
    file: String,
    manifest: ManifestKind,
    declared: Declared,
    location: LineLocation,
}

/// A lock line found in a hunk.
#[derive(Debug, Clone)]
struct LockLine {
    file: String,
    ecosystem: Ecosystem,
    entry: Option<String>,
    location: LineLocation,
}

fn line_text(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.trim_end_matches(['\n', '\r']).to_string()
}

/// The hunk heading: the text after the second `@@` of the header line.
fn heading(header_line: &[u8]) -> String {
    let header = String::from_utf8_lossy(header_line);
    header
        .splitn(3, "@@")
        .nth(2)
        .unwrap_or("")
        .trim()
        .to_string()
}

/// Decide whether `patch` (applied with `-p strip`) changes only dependency requirements,
/// and which.
pub fn analyze(patch: &Patch, strip: usize, options: &DependencyOptions) -> Analysis {
    match collect(patch, strip) {
        Ok((found, locks)) => pair(found, locks, options),
        Err(reason) => Analysis::NotDependency(reason),
    }
}

type Collected = (Vec<(Found, LineKind)>, Vec<LockLine>);

fn collect(patch: &Patch, strip: usize) -> Result<Collected, NotDependency> {
    if patch.files.is_empty() {
        return Err(NotDependency::Empty);
    }
    let mut found = Vec::new();
    let mut locks = Vec::new();
    // Version properties the hunks show (file, declaration, side or context).
    let mut properties: Vec<(String, Declared, LineKind)> = Vec::new();
    for (file_index, file_patch) in patch.files.iter().enumerate() {
        let path = file_patch.display_path(strip);
        let Some(manifest) = ManifestKind::from_path(&path) else {
            return Err(NotDependency::NotManifest { file: path });
        };
        if file_patch.is_new
            || file_patch.is_delete
            || file_patch.rename.is_some()
            || file_patch.copy.is_some()
            || file_patch.binary.is_some()
            || file_patch.hunks.is_empty()
        {
            return Err(NotDependency::WholeFile { file: path });
        }
        for (hunk_index, hunk) in file_patch.hunks.iter().enumerate() {
            let heading = heading(&hunk.header_line);
            // One side of the hunk at a time: (index in hunk.lines, text).
            for side in [LineKind::Remove, LineKind::Add] {
                let indexes: Vec<usize> = (0..hunk.lines.len())
                    .filter(|&i| {
                        hunk.lines[i].kind == LineKind::Context || hunk.lines[i].kind == side
                    })
                    .collect();
                let texts: Vec<String> = indexes
                    .iter()
                    .map(|&i| line_text(&hunk.lines[i].text))
                    .collect();
                let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                let roles = reader::classify(manifest, &refs, &heading);
                let start = if side == LineKind::Remove {
                    hunk.old_start
                } else {
                    hunk.new_start
                };
                for (position, (&index, role)) in indexes.iter().zip(roles).enumerate() {
                    if hunk.lines[index].kind != side {
                        // A version property in context resolves `${…}` on both sides.
                        if side == LineKind::Remove
                            && let LineRole::Requirement(declared) = &role
                            && declared.section == Section::Property
                        {
                            properties.push((path.clone(), declared.clone(), LineKind::Context));
                        }
                        continue;
                    }
                    let location = LineLocation {
                        file: file_index,
                        hunk: hunk_index,
                        line: index,
                    };
                    let declared_list = match role {
                        LineRole::Other => {
                            return Err(NotDependency::OtherChange {
                                file: path.clone(),
                                line: start + position,
                                text: texts[position].clone(),
                            });
                        }
                        LineRole::Neutral => continue,
                        LineRole::Lock { entry } => {
                            locks.push(LockLine {
                                file: path.clone(),
                                ecosystem: manifest.ecosystem(),
                                entry,
                                location,
                            });
                            continue;
                        }
                        LineRole::Requirement(declared) => {
                            if declared.section == Section::Property {
                                properties.push((path.clone(), declared.clone(), side));
                            }
                            vec![declared]
                        }
                        LineRole::Several(list) => list,
                    };
                    for declared in declared_list {
                        found.push((
                            Found {
                                file: path.clone(),
                                manifest,
                                declared,
                                location,
                            },
                            side,
                        ));
                    }
                }
            }
        }
    }
    resolve_properties(&mut found, &properties);
    Ok((found, locks))
}

/// A requirement whose version is a property the hunks themselves set (`<version>${tomcat.
/// version}</version>` added beside a raised `<tomcat.version>`) takes the property's value on
/// its side of the patch, as the build would; context lines count for both sides. A property
/// the hunks do not show stays unresolved (and then has no order).
fn resolve_properties(
    found: &mut [(Found, LineKind)],
    properties: &[(String, Declared, LineKind)],
) {
    for (requirement, side) in found.iter_mut() {
        let Some(property) = requirement.declared.property.clone() else {
            continue;
        };
        if !requirement.declared.version.contains('$') {
            continue;
        }
        let value = properties
            .iter()
            .filter(|(file, declared, _)| *file == requirement.file && declared.name == property)
            .filter(|(_, _, from)| *from == *side || *from == LineKind::Context)
            // The side's own line wins over context.
            .max_by_key(|(_, _, from)| *from == *side)
            .map(|(_, declared, _)| declared.version.clone());
        if let Some(value) = value {
            requirement.declared.version = value;
        }
    }
}

/// The identity a removed and an added requirement must share to pair.
fn key(found: &Found) -> (String, String, Section, Option<String>) {
    (
        found.file.clone(),
        found.declared.name.clone(),
        found.declared.section,
        found.declared.qualifier.clone(),
    )
}

fn pair(
    found: Vec<(Found, LineKind)>,
    locks: Vec<LockLine>,
    options: &DependencyOptions,
) -> Analysis {
    let mut removed: Vec<Found> = Vec::new();
    let mut added: Vec<Found> = Vec::new();
    for (f, side) in found {
        if side == LineKind::Remove {
            removed.push(f)
        } else {
            added.push(f)
        }
    }
    let mut changes: Vec<DependencyChange> = Vec::new();
    let mut other_lines: Vec<LineLocation> = Vec::new();
    let mut used = vec![false; added.len()];
    // Added requirements by key, in order, so pairing is linear in the patch's size.
    let mut by_key: HashMap<(String, String, Section, Option<String>), VecDeque<usize>> =
        HashMap::new();
    for (i, new) in added.iter().enumerate() {
        by_key.entry(key(new)).or_default().push_back(i);
    }
    let new_change = |f: &Found, change: Change, lines: Vec<LineLocation>| DependencyChange {
        ecosystem: f.manifest.ecosystem(),
        manifest: f.manifest,
        file: f.file.clone(),
        name: f.declared.name.clone(),
        section: f.declared.section,
        property: f.declared.property.clone(),
        qualifier: f.declared.qualifier.clone(),
        change,
        lines,
        lock_files: if f.manifest.is_lock() {
            vec![f.file.clone()]
        } else {
            Vec::new()
        },
    };
    for old in &removed {
        let partner = by_key.get_mut(&key(old)).and_then(VecDeque::pop_front);
        let Some(i) = partner else {
            changes.push(new_change(
                old,
                Change::Remove {
                    from: old.declared.version.clone(),
                },
                vec![old.location],
            ));
            continue;
        };
        used[i] = true;
        let new = &added[i];
        let (from, to) = (&old.declared.version, &new.declared.version);
        if from == to {
            other_lines.extend([old.location, new.location]);
            continue;
        }
        // Is `to` above `from`? Ask whether `to` supersedes `from`.
        match version::compare(
            old.manifest.ecosystem(),
            from,
            to,
            options.max_version_bytes,
        ) {
            Comparison::AtLeast { equal: true } => other_lines.extend([old.location, new.location]),
            Comparison::AtLeast { equal: false } => {
                let mut change = new_change(
                    new,
                    Change::Raise {
                        from: from.clone(),
                        to: to.clone(),
                    },
                    vec![old.location, new.location],
                );
                change.property = new
                    .declared
                    .property
                    .clone()
                    .or_else(|| old.declared.property.clone());
                changes.push(change);
            }
            Comparison::Below => {
                return Analysis::NotDependency(NotDependency::Lowers {
                    file: old.file.clone(),
                    name: old.declared.name.clone(),
                    from: from.clone(),
                    to: to.clone(),
                });
            }
            Comparison::Unordered { .. } => {
                return Analysis::NotDependency(NotDependency::Unordered {
                    file: old.file.clone(),
                    name: old.declared.name.clone(),
                    from: from.clone(),
                    to: to.clone(),
                });
            }
        }
    }
    for (i, new) in added.iter().enumerate() {
        if !used[i] {
            changes.push(new_change(
                new,
                Change::Add {
                    to: new.declared.version.clone(),
                },
                vec![new.location],
            ));
        }
    }
    // A lock entry rides with the manifest change of the same dependency.
    let (lock_changes, mut manifest_changes): (Vec<_>, Vec<_>) =
        changes.into_iter().partition(|c| c.manifest.is_lock());
    let mut kept_locks = Vec::new();
    let owner_index =
        |changes: &[DependencyChange]| -> HashMap<(Ecosystem, String, String), usize> {
            let mut index = HashMap::new();
            for (i, c) in changes.iter().enumerate() {
                index
                    .entry((c.ecosystem, c.name.clone(), folder(&c.file)))
                    .or_insert(i);
            }
            index
        };
    let manifest_index = owner_index(&manifest_changes);
    for lock in lock_changes {
        let owner = manifest_index
            .get(&(lock.ecosystem, lock.name.clone(), folder(&lock.file)))
            .copied();
        match owner.and_then(|i| manifest_changes.get_mut(i)) {
            Some(owner) => {
                owner.lines.extend(lock.lines);
                owner.lock_files.extend(lock.lock_files);
            }
            None => kept_locks.push(lock),
        }
    }
    manifest_changes.extend(kept_locks);
    let mut changes = manifest_changes;
    let change_index = owner_index(&changes);
    for lock in locks {
        let owner = lock.entry.as_ref().and_then(|entry| {
            change_index
                .get(&(lock.ecosystem, entry.clone(), folder(&lock.file)))
                .copied()
        });
        match owner.and_then(|i| changes.get_mut(i)) {
            Some(owner) => {
                owner.lines.push(lock.location);
                owner.lock_files.push(lock.file.clone());
            }
            None => other_lines.push(lock.location),
        }
    }
    // A `go`/`toolchain` raise beside module raises is their side effect (newer modules need a
    // newer Go): it rides with them, as lock lines do. Alone, it is the change to judge.
    if changes.iter().any(|c| c.section != Section::Toolchain) {
        let (toolchain, rest): (Vec<_>, Vec<_>) = changes
            .into_iter()
            .partition(|c| c.section == Section::Toolchain);
        other_lines.extend(toolchain.into_iter().flat_map(|c| c.lines));
        changes = rest;
    }
    if changes.is_empty() {
        return Analysis::NotDependency(NotDependency::NoRequirement);
    }
    for change in &mut changes {
        change.lines.sort();
        change.lines.dedup();
        change.lock_files.sort();
        change.lock_files.dedup();
    }
    other_lines.sort();
    other_lines.dedup();
    Analysis::Dependency(DependencyPatch {
        changes,
        other_lines,
    })
}

/// The folder of a tree path: a lock file rides with a manifest in the same folder.
fn folder(path: &str) -> String {
    path.rsplit_once('/').map_or("", |(dir, _)| dir).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patch::parse_patches;

    fn analyze_text(text: &str) -> Analysis {
        let patches = parse_patches(text.as_bytes()).unwrap();
        analyze(&patches[0], 1, &DependencyOptions::default())
    }

    fn changes(text: &str) -> DependencyPatch {
        match analyze_text(text) {
            Analysis::Dependency(patch) => patch,
            other => panic!("{other:?}"),
        }
    }

    const GO_BUMP: &str = "\
--- a/go.mod
+++ b/go.mod
@@ -5,5 +5,5 @@ go 1.21
 require (
 \tgithub.com/google/cel-go v0.17.8
-\tgolang.org/x/net v0.23.0
+\tgolang.org/x/net v0.33.0
 \tgoogle.golang.org/grpc v1.58.3
 )
--- a/go.sum
+++ b/go.sum
@@ -10,4 +10,4 @@
 golang.org/x/mod v0.14.0/go.mod h1:aaa=
-golang.org/x/net v0.23.0 h1:bbb=
-golang.org/x/net v0.23.0/go.mod h1:ccc=
+golang.org/x/net v0.33.0 h1:ddd=
+golang.org/x/net v0.33.0/go.mod h1:eee=
 golang.org/x/sync v0.6.0 h1:fff=
";

    #[test]
    fn a_go_bump_raises_one_module_and_carries_its_go_sum_lines() {
        let patch = changes(GO_BUMP);
        assert_eq!(patch.changes.len(), 1);
        let change = &patch.changes[0];
        assert_eq!(change.name, "golang.org/x/net");
        assert_eq!(
            change.change,
            Change::Raise {
                from: "v0.23.0".into(),
                to: "v0.33.0".into()
            }
        );
        assert_eq!(change.lines.len(), 6);
        assert_eq!(change.lock_files, ["go.sum"]);
        assert!(patch.other_lines.is_empty());
    }

    #[test]
    fn a_go_directive_raise_rides_with_module_raises() {
        let with_go = GO_BUMP.replace(
            "@@ -5,5 +5,5 @@ go 1.21\n require (",
            "@@ -3,7 +3,7 @@\n-go 1.21\n+go 1.22.5\n \n require (",
        );
        let patch = changes(&with_go);
        assert_eq!(patch.changes.len(), 1);
        assert_eq!(patch.changes[0].name, "golang.org/x/net");
        assert_eq!(patch.other_lines.len(), 2);
        // Alone, the directive is the change.
        let alone =
            "--- a/go.mod\n+++ b/go.mod\n@@ -1,3 +1,3 @@\n module x\n \n-go 1.21\n+go 1.22.5\n";
        let patch = changes(alone);
        assert_eq!(
            patch.changes[0].change,
            Change::Raise {
                from: "1.21".into(),
                to: "1.22.5".into()
            }
        );
    }

    #[test]
    fn lowering_or_other_changes_are_not_dependency_patches() {
        let lowered = GO_BUMP.replace(
            "-\tgolang.org/x/net v0.23.0\n+\tgolang.org/x/net v0.33.0",
            "-\tgolang.org/x/net v0.33.0\n+\tgolang.org/x/net v0.23.0",
        );
        assert!(matches!(
            analyze_text(&lowered),
            Analysis::NotDependency(NotDependency::Lowers { .. })
        ));
        let code = "--- a/main.go\n+++ b/main.go\n@@ -1 +1 @@\n-a\n+b\n";
        assert!(matches!(
            analyze_text(code),
            Analysis::NotDependency(NotDependency::NotManifest { .. })
        ));
        let module = "--- a/go.mod\n+++ b/go.mod\n@@ -1,3 +1,3 @@\n-module example.com/a\n+module example.com/b\n \n go 1.21\n";
        assert!(matches!(
            analyze_text(module),
            Analysis::NotDependency(NotDependency::OtherChange { line: 1, .. })
        ));
    }

    #[test]
    fn a_pom_pin_added_to_dependency_management() {
        let text = "\
--- a/pom.xml
+++ b/pom.xml
@@ -20,5 +20,10 @@
   <dependencyManagement>
     <dependencies>
+      <dependency>
+        <groupId>io.netty</groupId>
+        <artifactId>netty-codec-http2</artifactId>
+        <version>4.1.100.Final</version>
+      </dependency>
       <dependency>
         <groupId>io.netty</groupId>
         <artifactId>netty-bom</artifactId>
";
        let patch = changes(text);
        assert_eq!(patch.changes.len(), 1);
        assert_eq!(patch.changes[0].name, "io.netty:netty-codec-http2");
        assert_eq!(
            patch.changes[0].change,
            Change::Add {
                to: "4.1.100.Final".into()
            }
        );
        assert!(!patch.changes[0].needs_refresh());
    }

    #[test]
    fn a_property_the_patch_sets_resolves_the_versions_that_use_it() {
        // thingsboard's tomcat patch: the property raised, and artifacts pinned to it.
        let text = "\
--- a/pom.xml
+++ b/pom.xml
@@ -40,3 +40,3 @@
   <properties>
-    <tomcat.version>10.1.44</tomcat.version>
+    <tomcat.version>10.1.47</tomcat.version>
     <jackson.version>2.19.2</jackson.version>
@@ -90,4 +90,5 @@
       <dependency>
         <groupId>org.apache.tomcat.embed</groupId>
         <artifactId>tomcat-embed-core</artifactId>
+        <version>${tomcat.version}</version>
       </dependency>
@@ -120,4 +121,5 @@
       <dependency>
         <groupId>com.fasterxml.jackson.core</groupId>
         <artifactId>jackson-databind</artifactId>
+        <version>${jackson.version}</version>
       </dependency>
";
        let patch = changes(text);
        let version = |name: &str| {
            let change = patch.changes.iter().find(|c| c.name == name).unwrap();
            change.change.target().unwrap().to_string()
        };
        assert_eq!(version("tomcat.version"), "10.1.47");
        assert_eq!(
            version("org.apache.tomcat.embed:tomcat-embed-core"),
            "10.1.47"
        );
        // A property in context resolves too.
        assert_eq!(
            version("com.fasterxml.jackson.core:jackson-databind"),
            "2.19.2"
        );
    }
}
