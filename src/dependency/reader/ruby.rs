//! RubyGems: `Gemfile.lock` (the `specs:` of each `GEM`/`GIT`/`PATH` source, `name (version
//! [-platform])`), gemspecs (`add_dependency`, `add_runtime_dependency`,
//! `add_development_dependency`, with `"…"`, `'…'` or `%q<…>` strings) and `Gemfile` (`gem
//! "name", "constraint", …`). All three are read a line at a time, as Bundler writes them.

use super::{Declared, LineRole};
use crate::dependency::model::{Requirement, Section};
use regex::Regex;
use std::sync::LazyLock;

static GEMSPEC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\.add_(runtime_|development_)?dependency\s*\(?\s*(?:"([^"]+)"|'([^']+)'|%q<([^>]+)>)(?:\.freeze)?(.*)"#)
        .expect("a valid pattern")
});
static GEMFILE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^\s*gem\s*\(?\s*(?:"([^"]+)"|'([^']+)')(.*)"#).expect("a valid pattern")
});
static OPTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Za-z_]+:\s|:[A-Za-z_]+\s*=>").expect("a valid pattern"));
static QUOTED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#""([^"]*)"|'([^']*)'|%q<([^>]*)>"#).expect("a valid pattern"));

/// The constraint strings that follow a gem's name, up to the first `key:` option.
fn constraints(rest: &str) -> String {
    let rest = rest.split('#').next().unwrap_or(rest);
    let options_at = OPTION.find(rest).map_or(rest.len(), |m| m.start());
    QUOTED
        .captures_iter(&rest[..options_at])
        .filter_map(|c| {
            c.get(1)
                .or(c.get(2))
                .or(c.get(3))
                .map(|m| m.as_str().trim().to_string())
        })
        .filter(|c| c.starts_with(|ch: char| ch.is_ascii_digit() || "=<>~!".contains(ch)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn gemspec_line(line: &str) -> Option<Declared> {
    let captures = GEMSPEC.captures(line)?;
    let name = captures
        .get(2)
        .or(captures.get(3))
        .or(captures.get(4))?
        .as_str();
    let section = if captures
        .get(1)
        .is_some_and(|m| m.as_str() == "development_")
    {
        Section::DevDependencies
    } else {
        Section::Dependencies
    };
    Some(Declared::new(name, constraints(&captures[5]), section))
}

fn gemfile_line(line: &str) -> Option<Declared> {
    let captures = GEMFILE.captures(line)?;
    let name = captures.get(1).or(captures.get(2))?.as_str();
    Some(Declared::new(
        name,
        constraints(&captures[3]),
        Section::Dependencies,
    ))
}

/// A `Gemfile.lock` spec line (four spaces, `name (version[-platform])`): name and version.
fn lock_spec(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix("    ")?;
    if rest.starts_with(' ') {
        return None;
    }
    let (name, version) = rest.trim_end().split_once(" (")?;
    let version = version.strip_suffix(')')?;
    if version.starts_with(['=', '<', '>', '~', '!']) {
        return None;
    }
    // Bundler writes a platform gem as `1.16.2-x86_64-linux`.
    Some((name, version.split('-').next().unwrap_or(version)))
}

/// Every requirement of a gemspec.
pub fn read_gemspec(file: &str, text: &str) -> Vec<Requirement> {
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| Some(gemspec_line(line)?.at(file, i + 1)))
        .collect()
}

/// Every requirement of a Gemfile.
pub fn read_gemfile(file: &str, text: &str) -> Vec<Requirement> {
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| Some(gemfile_line(line)?.at(file, i + 1)))
        .collect()
}

/// Every locked gem of a Gemfile.lock (the `specs:` entries).
pub fn read_gemfile_lock(file: &str, text: &str) -> Vec<Requirement> {
    let mut out = Vec::new();
    let mut in_specs = false;
    for (index, line) in text.lines().enumerate() {
        if !line.starts_with(' ') {
            in_specs = false;
        } else if line.trim_end() == "  specs:" {
            in_specs = true;
        } else if in_specs && let Some((name, version)) = lock_spec(line) {
            out.push(Declared::new(name, version, Section::Lock).at(file, index + 1));
        }
    }
    out
}

fn classify_ruby_code(lines: &[&str], parse: fn(&str) -> Option<Declared>) -> Vec<LineRole> {
    lines
        .iter()
        .map(|line| {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed == "end" {
                return LineRole::Neutral;
            }
            match parse(line) {
                Some(declared) => LineRole::Requirement(declared),
                None if trimmed.starts_with("group ") && trimmed.ends_with(" do") => {
                    LineRole::Neutral
                }
                None => LineRole::Other,
            }
        })
        .collect()
}

/// Classify a gemspec hunk side.
pub fn classify_gemspec(lines: &[&str]) -> Vec<LineRole> {
    classify_ruby_code(lines, gemspec_line)
}

/// Classify a Gemfile hunk side.
pub fn classify_gemfile(lines: &[&str]) -> Vec<LineRole> {
    classify_ruby_code(lines, gemfile_line)
}

/// Classify a Gemfile.lock hunk side: spec lines are locked versions, every other line
/// belongs to the lock.
pub fn classify_gemfile_lock(lines: &[&str]) -> Vec<LineRole> {
    let mut entry: Option<String> = None;
    lines
        .iter()
        .map(|line| {
            if line.trim().is_empty() {
                return LineRole::Neutral;
            }
            if let Some((name, version)) = lock_spec(line) {
                entry = Some(name.to_string());
                return LineRole::Requirement(Declared::new(name, version, Section::Lock));
            }
            // A `DEPENDENCIES` line (two spaces) names its gem; a spec's own dependency lines
            // (six spaces) belong to the spec above them.
            let indent = line.len() - line.trim_start().len();
            let name =
                (indent == 2).then(|| line.trim().split(" (").next().unwrap_or("").to_string());
            LineRole::Lock {
                entry: name.or_else(|| entry.clone()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Modelled on a Rails application's Gemfile.lock.
    pub(crate) const GEMFILE_LOCK: &str = "GEM
  remote: https://rubygems.org/
  specs:
    actionpack (7.1.3)
      rack (>= 2.2.4)
    nokogiri (1.16.2-x86_64-linux)
      racc (~> 1.4)
    rack (2.2.8)
    racc (1.7.3)

PLATFORMS
  x86_64-linux

DEPENDENCIES
  nokogiri (>= 1.16.2)
  rails (~> 7.1.3)

BUNDLED WITH
   2.5.6
";

    #[test]
    fn reads_gemfile_lock() {
        let requirements = read_gemfile_lock("Gemfile.lock", GEMFILE_LOCK);
        let found: Vec<(&str, &str, usize)> = requirements
            .iter()
            .map(|r| (r.name.as_str(), r.version.as_str(), r.line))
            .collect();
        assert_eq!(
            found,
            [
                ("actionpack", "7.1.3", 4),
                ("nokogiri", "1.16.2", 6),
                ("rack", "2.2.8", 8),
                ("racc", "1.7.3", 9)
            ]
        );
    }

    #[test]
    fn reads_gemspecs_and_gemfiles() {
        let gemspec = "Gem::Specification.new do |spec|\n  spec.name = \"acme\"\n  spec.add_dependency \"rack\", \">= 2.2.3\", \"< 4\"\n  spec.add_runtime_dependency('nokogiri', '~> 1.15')\n  s.add_dependency(%q<loofah>.freeze, [\">= 2.21\"])\n  spec.add_development_dependency \"rspec\"\nend\n";
        let requirements = read_gemspec("acme.gemspec", gemspec);
        let found: Vec<(&str, &str, usize)> = requirements
            .iter()
            .map(|r| (r.name.as_str(), r.version.as_str(), r.line))
            .collect();
        assert_eq!(
            found,
            [
                ("rack", ">= 2.2.3, < 4", 3),
                ("nokogiri", "~> 1.15", 4),
                ("loofah", ">= 2.21", 5),
                ("rspec", "", 6)
            ]
        );
        assert_eq!(requirements[3].section, Section::DevDependencies);
        let gemfile = "source \"https://rubygems.org\"\ngem \"rails\", \"~> 7.1.3\"\ngem 'puma', '>= 6.4.2', require: false\ngem \"acme\", git: \"https://x\"\n";
        let requirements = read_gemfile("Gemfile", gemfile);
        let found: Vec<(&str, &str)> = requirements
            .iter()
            .map(|r| (r.name.as_str(), r.version.as_str()))
            .collect();
        assert_eq!(
            found,
            [("rails", "~> 7.1.3"), ("puma", ">= 6.4.2"), ("acme", "")]
        );
    }

    #[test]
    fn classifies_ruby_lines() {
        let roles = classify_gemfile_lock(&[
            "    rack (2.2.9)",
            "      webrick (~> 1.8)",
            "  rack (>= 2.2.9)",
        ]);
        assert!(
            matches!(&roles[0], LineRole::Requirement(d) if d.name == "rack" && d.version == "2.2.9")
        );
        assert_eq!(
            roles[1],
            LineRole::Lock {
                entry: Some("rack".into())
            }
        );
        assert_eq!(
            roles[2],
            LineRole::Lock {
                entry: Some("rack".into())
            }
        );
        let roles = classify_gemspec(&[
            "  spec.add_dependency \"rack\", \">= 2.2.9\"",
            "  spec.version = \"1.0\"",
        ]);
        assert!(matches!(&roles[0], LineRole::Requirement(d) if d.version == ">= 2.2.9"));
        assert_eq!(roles[1], LineRole::Other);
    }
}
