//! The built-in policy packs: the files of this repository's `policies/` folder, compiled into
//! the binary, so `audit` judges a workspace that has no `policies/` folder of its own and
//! `mindelta init` can write them out for the user to edit.

/// One built-in pack: its name (the `name:` inside the file), the file name `init` writes, and
/// the YAML text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltinPack {
    /// The pack's `name:`, what `mindelta.yaml`'s `policies:` list names it by.
    pub name: &'static str,
    /// A shorter name the `policies:` list also accepts, if any.
    pub alias: Option<&'static str>,
    /// The file name in `policies/`.
    pub file: &'static str,
    /// The pack's text.
    pub text: &'static str,
}

/// Every built-in pack, in the order they are loaded.
pub const BUILTIN_PACKS: [BuiltinPack; 3] = [
    BuiltinPack {
        name: "delta-minimization",
        alias: Some("delta"),
        file: "delta-minimization.yaml",
        text: include_str!("../../../policies/delta-minimization.yaml"),
    },
    BuiltinPack {
        name: "dep3",
        alias: None,
        file: "dep3.yaml",
        text: include_str!("../../../policies/dep3.yaml"),
    },
    BuiltinPack {
        name: "yocto",
        alias: None,
        file: "yocto.yaml",
        text: include_str!("../../../policies/yocto.yaml"),
    },
];

impl BuiltinPack {
    /// The built-in pack `name` names (its name or its alias).
    pub fn named(name: &str) -> Option<&'static BuiltinPack> {
        BUILTIN_PACKS
            .iter()
            .find(|pack| pack.name == name || pack.alias == Some(name))
    }

    /// How findings and messages show the pack's file: `built-in dep3.yaml`.
    pub fn shown(&self) -> String {
        format!("built-in {}", self.file)
    }
}

/// The pack name an alias stands for (`delta` → `delta-minimization`); other names as given.
pub fn canonical_name(name: &str) -> &str {
    BUILTIN_PACKS
        .iter()
        .find(|pack| pack.alias == Some(name))
        .map_or(name, |pack| pack.name)
}
