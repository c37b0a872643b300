//! The melange package YAML as serde-saphyr reads it: only the keys mindelta uses are declared,
//! every other key of melange's large schema is ignored (unlike our own manifests, whose unknown
//! keys are errors). Values keep their YAML position (`Spanned`) for in-place editing.
//! `model.rs` turns this into the reader's model.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};
use serde_saphyr::Spanned;

use crate::native::{LenientValue, YamlValue};

pub(super) type Text = Spanned<String>;

#[derive(Debug, Deserialize)]
pub(super) struct RawConfiguration {
    pub package: Spanned<RawPackage>,
    #[serde(default)]
    pub vars: Option<Spanned<OrderedMap<Text>>>,
    #[serde(default, rename = "var-transforms")]
    pub var_transforms: Option<Vec<Spanned<RawVarTransform>>>,
    #[serde(default)]
    pub pipeline: Option<Vec<Spanned<RawStep>>>,
    #[serde(default)]
    pub subpackages: Option<Vec<Spanned<RawSubpackage>>>,
    #[serde(default)]
    pub data: Option<Vec<RawData>>,
    #[serde(default)]
    pub update: Option<Spanned<RawUpdate>>,
}

#[derive(Debug, Deserialize)]
pub(super) struct RawPackage {
    pub name: Text,
    pub version: Text,
    #[serde(default)]
    pub epoch: Option<Spanned<Option<String>>>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct RawVarTransform {
    pub from: Text,
    #[serde(rename = "match")]
    pub pattern: Text,
    pub replace: Spanned<Option<String>>,
    pub to: Text,
}

#[derive(Debug, Deserialize)]
pub(super) struct RawSubpackage {
    pub name: Text,
    #[serde(default)]
    pub range: Option<Text>,
    #[serde(default, rename = "if")]
    pub condition: Option<Text>,
    #[serde(default)]
    pub pipeline: Option<Vec<Spanned<RawStep>>>,
}

#[derive(Debug, Deserialize)]
pub(super) struct RawData {
    pub name: String,
    #[serde(default)]
    pub items: Option<OrderedMap<Option<String>>>,
}

#[derive(Debug, Deserialize)]
pub(super) struct RawStep {
    #[serde(default)]
    pub name: Option<Text>,
    #[serde(default)]
    pub uses: Option<Text>,
    #[serde(default)]
    pub with: Option<Spanned<RawWith>>,
    #[serde(default)]
    pub runs: Option<Text>,
    #[serde(default)]
    pub pipeline: Option<Vec<Spanned<RawStep>>>,
    #[serde(default, rename = "working-directory")]
    pub working_directory: Option<Text>,
    #[serde(default, rename = "if")]
    pub condition: Option<Text>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) struct RawUpdate {
    #[serde(default)]
    pub enabled: Option<Spanned<bool>>,
    #[serde(default)]
    pub manual: Option<bool>,
    #[serde(default)]
    pub ignore_regex_patterns: Option<Vec<Text>>,
    #[serde(default)]
    pub release_monitor: Option<Spanned<RawReleaseMonitor>>,
    #[serde(default)]
    pub github: Option<Spanned<RawGithubMonitor>>,
    #[serde(default)]
    pub git: Option<Spanned<RawGitMonitor>>,
    #[serde(default)]
    pub version_transform: Option<Vec<Spanned<RawVersionTransform>>>,
    #[serde(default)]
    pub version_separator: Option<String>,
    #[serde(default)]
    pub enable_prerelease_tags: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) struct RawReleaseMonitor {
    #[serde(default)]
    pub identifier: Option<Text>,
    #[serde(default)]
    pub strip_prefix: Option<Text>,
    #[serde(default)]
    pub strip_suffix: Option<Text>,
    #[serde(default)]
    pub version_filter_prefix: Option<Text>,
    #[serde(default)]
    pub version_filter_contains: Option<Text>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) struct RawGithubMonitor {
    #[serde(default)]
    pub identifier: Option<Text>,
    #[serde(default)]
    pub strip_prefix: Option<Text>,
    #[serde(default)]
    pub strip_suffix: Option<Text>,
    #[serde(default)]
    pub tag_filter: Option<Text>,
    #[serde(default)]
    pub tag_filter_prefix: Option<Text>,
    #[serde(default)]
    pub tag_filter_contains: Option<Text>,
    #[serde(default)]
    pub use_tag: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) struct RawGitMonitor {
    #[serde(default)]
    pub strip_prefix: Option<Text>,
    #[serde(default)]
    pub strip_suffix: Option<Text>,
    #[serde(default)]
    pub tag_filter_prefix: Option<Text>,
    #[serde(default)]
    pub tag_filter_contains: Option<Text>,
}

#[derive(Debug, Deserialize)]
pub(super) struct RawVersionTransform {
    #[serde(rename = "match")]
    pub pattern: Text,
    pub replace: Spanned<Option<String>>,
}

/// A YAML mapping in file order (serde maps lose the order, and `vars` order is the order a
/// reader of the file expects).
#[derive(Debug)]
pub(super) struct OrderedMap<V>(pub Vec<(Text, V)>);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for OrderedMap<V> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for MapVisitor<V> {
            type Value = OrderedMap<V>;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a mapping")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(OrderedMap(Vec::new()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Text>()? {
                    entries.push((key, map.next_value::<V>()?));
                }
                Ok(OrderedMap(entries))
            }
        }
        deserializer.deserialize_map(MapVisitor(std::marker::PhantomData))
    }
}

/// The `with:` keys whose values mindelta reads: their text is kept exactly as written
/// (`strip-components: 01` stays `01`, `tag: 1.10` stays `1.10`).
const TEXT_KEYS: &[&str] = &[
    "repository",
    "tag",
    "branch",
    "expected-commit",
    "destination",
    "cherry-picks",
    "uri",
    "expected-sha256",
    "expected-sha512",
    "extract",
    "strip-components",
    "directory",
    "patches",
    "series",
    "fuzz",
    "deps",
    "replaces",
    "packages",
    "modroot",
    "properties",
    "properties-file",
    "patch-file",
    "dependencies",
    "pom",
    "language",
    "bump-file",
    "cargoroot",
    "manifest",
];

/// A `with:` value. melange reads `with:` as strings; a list or mapping under a key mindelta
/// does not read is kept as [`YamlValue::NotText`] rather than failing the whole file.
pub type WithValue = YamlValue;

/// `with:` entries in file order, each key and value with its position.
#[derive(Debug)]
pub(super) struct RawWith(pub Vec<(Text, Spanned<WithValue>)>);

impl<'de> Deserialize<'de> for RawWith {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct WithVisitor;
        impl<'de> Visitor<'de> for WithVisitor {
            type Value = RawWith;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a mapping of step inputs")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(RawWith(Vec::new()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Text>()? {
                    let value = if TEXT_KEYS.contains(&key.value.as_str()) {
                        let text: Spanned<Option<String>> = map.next_value()?;
                        Spanned::new(
                            match text.value {
                                Some(text) => WithValue::Text(text),
                                None => WithValue::Empty,
                            },
                            text.referenced,
                            text.defined,
                        )
                    } else {
                        map.next_value::<Spanned<LenientValue>>()
                            .map(|v| Spanned::new(v.value.into_value(), v.referenced, v.defined))?
                    };
                    entries.push((key, value));
                }
                Ok(RawWith(entries))
            }
        }
        deserializer.deserialize_map(WithVisitor)
    }
}
