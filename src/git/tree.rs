//! Trees of a local repository: their entries, the regular files under a tree, the file at a
//! path. Raw tree objects are parsed here (names are bytes: a folder name need not be UTF-8)
//! and modes are normalised as libgit2 did, so odd modes in old trees read as before.

use super::{GitError, ObjectId, Repository};

/// What a tree entry is, its mode normalised (libgit2's `normalize_filemode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A subtree (`040000`).
    Tree,
    /// A regular file (`100644`, and any other mode without an execute bit).
    Blob,
    /// An executable file (any execute bit set).
    Executable,
    /// A symbolic link (`120000`); the blob holds its target.
    Link,
    /// A submodule's commit (`160000`).
    Submodule,
}

impl EntryKind {
    /// The kind of a raw tree mode.
    fn from_mode(mode: u32) -> EntryKind {
        const TYPE: u32 = 0o170000;
        if mode & TYPE == 0o040000 {
            EntryKind::Tree
        } else if mode & 0o111 != 0 {
            EntryKind::Executable
        } else if mode & TYPE == 0o160000 {
            EntryKind::Submodule
        } else if mode & TYPE == 0o120000 {
            EntryKind::Link
        } else {
            EntryKind::Blob
        }
    }

    /// Whether the entry is a regular file (executable or not).
    pub fn is_file(self) -> bool {
        matches!(self, EntryKind::Blob | EntryKind::Executable)
    }
}

/// One entry of a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEntry {
    /// The entry's name (one path component, bytes as stored).
    pub name: Vec<u8>,
    pub kind: EntryKind,
    pub id: ObjectId,
}

impl Repository {
    /// The entries of tree `tree`, in the tree's order.
    pub fn tree_entries(&self, tree: ObjectId) -> Result<Vec<TreeEntry>, GitError> {
        let data = self.object(tree, gix::object::Kind::Tree)?;
        parse_tree(&data).ok_or_else(|| GitError::Malformed {
            path: self.path().to_path_buf(),
            id: tree,
            kind: "tree",
        })
    }

    /// The regular files (executable or not; links and submodules are not) under `tree`, by
    /// `/`-separated path.
    pub fn regular_files(&self, tree: ObjectId) -> Result<Vec<Vec<u8>>, GitError> {
        let mut files = Vec::new();
        let mut folders = vec![(Vec::new(), tree)];
        while let Some((prefix, id)) = folders.pop() {
            for entry in self.tree_entries(id)? {
                let mut path = prefix.clone();
                path.extend_from_slice(&entry.name);
                match entry.kind {
                    EntryKind::Tree => {
                        path.push(b'/');
                        folders.push((path, entry.id));
                    }
                    kind if kind.is_file() => files.push(path),
                    _ => {}
                }
            }
        }
        Ok(files)
    }

    /// The entry at `path` (components, from `tree`'s root); `tree` itself for an empty
    /// path, `None` when there is nothing there.
    pub fn entry_at<'c>(
        &self,
        tree: ObjectId,
        path: impl IntoIterator<Item = &'c [u8]>,
    ) -> Result<Option<TreeEntry>, GitError> {
        let mut current = TreeEntry {
            name: Vec::new(),
            kind: EntryKind::Tree,
            id: tree,
        };
        for component in path {
            if current.kind != EntryKind::Tree {
                return Ok(None);
            }
            let entries = self.tree_entries(current.id)?;
            match entries.into_iter().find(|entry| entry.name == component) {
                Some(entry) => current = entry,
                None => return Ok(None),
            }
        }
        Ok(Some(current))
    }

    /// The bytes of the regular file at `path` (components, from `tree`'s root); `None` when
    /// there is nothing there or it is not a regular file (a folder, a link, a submodule).
    pub fn file_at<'c>(
        &self,
        tree: ObjectId,
        path: impl IntoIterator<Item = &'c [u8]>,
    ) -> Result<Option<Vec<u8>>, GitError> {
        let mut components = path.into_iter().peekable();
        components.peek().ok_or_else(|| GitError::Malformed {
            path: self.path().to_path_buf(),
            id: tree,
            kind: "path",
        })?;
        match self.entry_at(tree, components)? {
            Some(entry) if entry.kind.is_file() => self.blob(entry.id).map(Some),
            _ => Ok(None),
        }
    }
}

/// The entries of a raw tree object (`<octal mode> <name>\0<20-byte id>`, repeated); `None`
/// when it does not parse.
fn parse_tree(mut data: &[u8]) -> Option<Vec<TreeEntry>> {
    let mut entries = Vec::new();
    while !data.is_empty() {
        let space = memchr::memchr(b' ', data)?;
        let nul = memchr::memchr(0, &data[space..])? + space;
        let id = ObjectId::from_bytes(data.get(nul + 1..nul + 21)?)?;
        let mut mode = 0u32;
        for &digit in &data[..space] {
            if !(b'0'..=b'7').contains(&digit) || mode > 0o777777 {
                return None;
            }
            mode = mode * 8 + u32::from(digit - b'0');
        }
        entries.push(TreeEntry {
            name: data[space + 1..nul].to_vec(),
            kind: EntryKind::from_mode(mode),
            id,
        });
        data = &data[nul + 21..];
    }
    Some(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_normalise_as_libgit2_did() {
        assert_eq!(EntryKind::from_mode(0o040000), EntryKind::Tree);
        assert_eq!(EntryKind::from_mode(0o100644), EntryKind::Blob);
        assert_eq!(EntryKind::from_mode(0o100664), EntryKind::Blob);
        assert_eq!(EntryKind::from_mode(0o100755), EntryKind::Executable);
        assert_eq!(EntryKind::from_mode(0o120000), EntryKind::Link);
        assert_eq!(EntryKind::from_mode(0o160000), EntryKind::Submodule);
    }

    #[test]
    fn raw_trees_parse_and_damaged_ones_do_not() {
        let mut raw = b"100644 a.c\0".to_vec();
        raw.extend_from_slice(&[1; 20]);
        raw.extend_from_slice(b"40000 d\xff\0");
        raw.extend_from_slice(&[2; 20]);
        let entries = parse_tree(&raw).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].name, b"d\xff");
        assert_eq!(entries[1].kind, EntryKind::Tree);
        assert!(parse_tree(&raw[..raw.len() - 1]).is_none());
        assert!(parse_tree(b"1x0644 a\0").is_none());
    }
}
