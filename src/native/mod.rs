//! Readers of the formats in which downstream patches already live (DESIGN.md §1, "Workspace
//! kinds"): a melange package YAML of a Wolfi-style repository (`melange`) and an unpacked Debian
//! source package (`debian`). Each reader returns a model faithful to its own format, with the
//! position of every value it read so that an editor can change those lines in place;
//! `package.rs` maps both onto the shared package model the commands work on, `releases.rs`
//! discovers their releases. docs/native.md describes what each reader takes from its format
//! and what it ignores.

pub mod debian;
pub mod edit;
pub mod melange;
pub mod package;
pub mod releases;

pub use package::{NativeOrigin, load, package_names};

use std::io::Read;
use std::path::{Path, PathBuf};

/// Where a value sits in the file it was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Position {
    /// 1-based line; 0 when the value was not written in the file (a default).
    pub line: usize,
    /// 1-based column; 0 when unknown.
    pub column: usize,
    /// Byte offset of the value's first byte in the file, when known.
    pub offset: Option<usize>,
    /// Byte length of the value as written (quotes and block indicators included), when known.
    pub length: Option<usize>,
    /// The value was reached through a YAML alias: `line` is the alias, `offset`/`length` are the
    /// anchored node, which an edit would change for every alias of it.
    pub through_alias: bool,
}

impl Position {
    /// A position known only by its line.
    pub fn line(line: usize) -> Position {
        Position {
            line,
            ..Position::default()
        }
    }

    /// A line and a byte range.
    pub fn span(line: usize, offset: usize, length: usize) -> Position {
        Position {
            line,
            column: 0,
            offset: Some(offset),
            length: Some(length),
            through_alias: false,
        }
    }

    /// From a serde-saphyr value: the line where it is referenced, the bytes where it is defined.
    pub(crate) fn from_spanned<T>(spanned: &serde_saphyr::Spanned<T>) -> Position {
        let referenced = &spanned.referenced;
        let defined = &spanned.defined;
        let span = defined.span();
        Position {
            line: referenced.line() as usize,
            column: referenced.column() as usize,
            offset: span.byte_offset().map(|o| o as usize),
            length: span.byte_len().map(|l| l as usize),
            through_alias: referenced.line() != defined.line()
                || referenced.column() != defined.column(),
        }
    }
}

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Located<T> {
    pub value: T,
    pub position: Position,
}

impl<T> Located<T> {
    pub fn new(value: T, position: Position) -> Located<T> {
        Located { value, position }
    }

    pub(crate) fn from_spanned(spanned: serde_saphyr::Spanned<T>) -> Located<T> {
        let position = Position::from_spanned(&spanned);
        Located {
            value: spanned.value,
            position,
        }
    }
}

/// A package read in place that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum NativeError {
    #[error(transparent)]
    Melange(#[from] melange::MelangeError),
    #[error(transparent)]
    Debian(#[from] debian::DebianError),
    #[error("cannot read `{path}`")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A file that could not be read as text.
#[derive(Debug, thiserror::Error)]
pub enum FileReadError {
    #[error("cannot read `{path}`")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{path}` is larger than {limit} bytes, the most this reader accepts")]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("`{path}` is not UTF-8 text")]
    NotText { path: PathBuf },
}

impl FileReadError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            FileReadError::Io { path, .. }
            | FileReadError::TooLarge { path, .. }
            | FileReadError::NotText { path } => path,
        }
    }
}

/// Read a text file of at most `limit` bytes (the bytes beyond are never read).
pub(crate) fn read_text(path: &Path, limit: u64) -> Result<String, FileReadError> {
    let io = |source| FileReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    // std::fs, not fs_err: the error names the path once, in its own message.
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(FileReadError::TooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    String::from_utf8(bytes).map_err(|_| FileReadError::NotText {
        path: path.to_path_buf(),
    })
}

/// The 1-based line of a byte offset in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    memchr::memchr_iter(b'\n', &text.as_bytes()[..end]).count() + 1
}

/// A YAML value where text is expected, read leniently: foreign formats have keys mindelta does
/// not use, whose values may be lists or mappings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum YamlValue {
    /// A scalar's text (a float as Rust prints it: serde-saphyr gives its value, not its text).
    Text(String),
    /// The key has no value.
    Empty,
    /// A list or a mapping.
    NotText,
}

impl YamlValue {
    /// The text, when the value is text.
    pub fn text(&self) -> Option<&str> {
        match self {
            YamlValue::Text(text) => Some(text),
            _ => None,
        }
    }
}

/// Deserializes any YAML value into a [`YamlValue`].
pub(crate) struct LenientValue(YamlValue);

impl LenientValue {
    pub(crate) fn into_value(self) -> YamlValue {
        self.0
    }
}

impl<'de> serde::Deserialize<'de> for LenientValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{Error, IgnoredAny, MapAccess, SeqAccess, Visitor};
        struct AnyVisitor;
        impl<'de> Visitor<'de> for AnyVisitor {
            type Value = LenientValue;
            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("any value")
            }
            fn visit_str<E: Error>(self, value: &str) -> Result<Self::Value, E> {
                Ok(LenientValue(YamlValue::Text(value.to_string())))
            }
            fn visit_string<E: Error>(self, value: String) -> Result<Self::Value, E> {
                Ok(LenientValue(YamlValue::Text(value)))
            }
            fn visit_bool<E: Error>(self, value: bool) -> Result<Self::Value, E> {
                Ok(LenientValue(YamlValue::Text(value.to_string())))
            }
            fn visit_i64<E: Error>(self, value: i64) -> Result<Self::Value, E> {
                Ok(LenientValue(YamlValue::Text(value.to_string())))
            }
            fn visit_u64<E: Error>(self, value: u64) -> Result<Self::Value, E> {
                Ok(LenientValue(YamlValue::Text(value.to_string())))
            }
            fn visit_f64<E: Error>(self, value: f64) -> Result<Self::Value, E> {
                Ok(LenientValue(YamlValue::Text(value.to_string())))
            }
            fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
                Ok(LenientValue(YamlValue::Empty))
            }
            fn visit_none<E: Error>(self) -> Result<Self::Value, E> {
                Ok(LenientValue(YamlValue::Empty))
            }
            fn visit_some<D: serde::Deserializer<'de>>(
                self,
                deserializer: D,
            ) -> Result<Self::Value, D::Error> {
                serde::Deserialize::deserialize(deserializer)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(LenientValue(YamlValue::NotText))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(LenientValue(YamlValue::NotText))
            }
        }
        deserializer.deserialize_any(AnyVisitor)
    }
}
