//! The HTML report as a person sees it: a generated workspace of 3,400 packages with 40 months
//! of real git history (1,200 commits written by `git fast-import`) is audited with
//! `--format html --history`, and the page is opened in headless Chromium (Debian's
//! `chromium`): it must load without a console message, draw the expected number of chart
//! points, and stay under 5 MB; a screenshot is kept in `target/test-artifacts/`.
//!
//! Chromium is driven without a test framework: `--dump-dom` returns the DOM after the page's
//! script ran (the script writes what it drew into `#mindelta-check`), `--screenshot` the
//! picture, and `--enable-logging=stderr` every console message. Without Chromium the browser
//! part is skipped with a message, unless `MINDELTA_REQUIRE_CHROMIUM=1` (CI) makes it fail;
//! `.ci/install-chromium.sh` installs it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::Value;

use crate::support::git::git_command;

/// The size of the generated workspace (the figures).
const PACKAGES: usize = 3_400;
const MONTHS: usize = 40;
const COMMITS: usize = 1_200;
/// Packages of the first commit; the others arrive one by one.
const FIRST_PACKAGES: usize = 2_400;
/// The page for 3,400 packages must stay under this size.
const PAGE_LIMIT: usize = 5 << 20;

/// The Chromium binary, or `None` (after saying why) when it is absent and not required.
pub(crate) fn chromium() -> Option<PathBuf> {
    let found = std::env::var_os("MINDELTA_CHROMIUM")
        .map(PathBuf::from)
        .into_iter()
        .chain(["chromium", "chromium-browser"].iter().filter_map(|name| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|dir| dir.join(name))
                    .find(|path| path.is_file())
            })
        }))
        .find(|path| path.is_file());
    if found.is_none() {
        assert!(
            std::env::var("MINDELTA_REQUIRE_CHROMIUM").as_deref() != Ok("1"),
            "MINDELTA_REQUIRE_CHROMIUM=1 but no `chromium` on the PATH: run .ci/install-chromium.sh"
        );
        eprintln!(
            "skipped the browser checks: no `chromium` on the PATH (install it with \
             .ci/install-chromium.sh; MINDELTA_REQUIRE_CHROMIUM=1 makes this a failure)"
        );
    }
    found
}

/// What headless Chromium saw of a page.
pub(crate) struct Opened {
    /// The DOM after the page's script ran.
    pub dom: String,
    /// Every console message (errors, warnings, logs, CSP reports).
    pub console: Vec<String>,
    /// What the page's script wrote into `#mindelta-check`.
    pub check: Value,
}

/// A Chromium command with the flags this machine needs (no background networking, which the
/// closed network refuses) and a fresh profile.
fn browser(chromium: &Path, profile: &Path) -> Command {
    let mut command = Command::new(chromium);
    command.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
    ]);
    command.arg(format!("--user-data-dir={}", profile.display()));
    command
}

fn url(page: &Path) -> String {
    format!(
        "file://{}",
        page.canonicalize().expect("the page exists").display()
    )
}

/// Open `page` and return its DOM, console messages and self-check.
pub(crate) fn open(chromium: &Path, page: &Path) -> Opened {
    let profile = tempfile::tempdir().expect("profile folder");
    let output = browser(chromium, profile.path())
        .arg("--dump-dom")
        .arg(url(page))
        .output()
        .expect("run chromium");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "chromium failed: {:?}\n{stderr}",
        output.status
    );
    let dom = String::from_utf8_lossy(&output.stdout).into_owned();
    let console = stderr
        .lines()
        .filter(|line| line.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    let check = self_check(&dom);
    Opened {
        dom,
        console,
        check,
    }
}

/// Take a screenshot of `page` into `png`.
pub(crate) fn screenshot(chromium: &Path, page: &Path, png: &Path, size: &str) {
    let profile = tempfile::tempdir().expect("profile folder");
    let output = browser(chromium, profile.path())
        .arg(format!("--window-size={size}"))
        .arg(format!("--screenshot={}", png.display()))
        .arg(url(page))
        .output()
        .expect("run chromium");
    assert!(
        output.status.success() && png.is_file(),
        "no screenshot: {:?}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The JSON the page's script wrote into `<output id="mindelta-check">`.
fn self_check(dom: &str) -> Value {
    let start = dom
        .find("id=\"mindelta-check\"")
        .and_then(|at| dom[at..].find('>').map(|end| at + end + 1))
        .expect("the self-check element");
    let end = start
        + dom[start..]
            .find("</output>")
            .expect("end of the self-check");
    let text = dom[start..end]
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("the page's script did not finish ({e}): `{text}`"))
}

/// The `.pt` marks (one per data point) of each chart in a dumped DOM.
pub(crate) fn chart_points(dom: &str) -> BTreeMap<String, usize> {
    let mut points = BTreeMap::new();
    for part in dom.split("<svg data-chart=\"").skip(1) {
        let name = part[..part.find('"').expect("chart name")].to_string();
        let body = &part[..part.find("</svg>").unwrap_or(part.len())];
        let count = body.matches("class=\"pt ").count();
        points.insert(name, count);
    }
    points
}

/// The data block of a page, parsed.
pub(crate) fn page_data(html: &str) -> Value {
    let marker = "id=\"mindelta-data\">";
    let start = html.find(marker).expect("the data block") + marker.len();
    let end = start
        + html[start..]
            .find("</script>")
            .expect("end of the data block");
    serde_json::from_str(&html[start..end]).expect("the data block is JSON")
}

/// Where test artefacts are kept: `target/test-artifacts/`.
pub(crate) fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts");
    std::fs::create_dir_all(&dir).expect("artefact folder");
    dir
}

/// A small deterministic generator (xorshift64*).
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[derive(Clone)]
struct GenPatch {
    file: String,
    status: &'static str,
    added: Option<String>,
    lines: usize,
    revision: usize,
}

struct GenPackage {
    name: String,
    patches: Vec<GenPatch>,
    expired: Vec<(String, &'static str, String)>,
    next: usize,
}

/// What the generator knows the history holds, month by month.
#[derive(Debug, Default, Clone, PartialEq)]
struct Expected {
    patches: usize,
    packages: usize,
    added: usize,
    expired: usize,
}

const STATUSES: [&str; 5] = [
    "backport",
    "pending",
    "submitted",
    "inappropriate",
    "backport",
];
const REASONS: [&str; 4] = ["fixed-in", "patch-id", "upstream-commit", "content"];

impl GenPackage {
    fn manifest(&self) -> String {
        let mut text = format!(
            "upstream:\n  version: \"1.{}\"\n  tarball: https://example.org/{}/{{version}}/{}-{{version}}.tar.gz\n  sha256: {}\n",
            self.name.len() % 7,
            self.name,
            self.name,
            "ab".repeat(32)
        );
        if self.patches.is_empty() {
            text.push_str("patches: []\n");
        } else {
            text.push_str("patches:\n");
        }
        for patch in &self.patches {
            let _ = write!(
                text,
                "  - file: {}\n    reason: Fix issue {} in {}\n    status: {}\n",
                patch.file, patch.revision, self.name, patch.status
            );
            if patch.status == "backport" {
                text.push_str("    fixed-in: \">=2.0\"\n");
            }
            if let Some(added) = &patch.added {
                let _ = writeln!(text, "    added: {added}");
            }
        }
        if !self.expired.is_empty() {
            text.push_str("expired:\n");
            for (file, reason, date) in &self.expired {
                let _ = write!(
                    text,
                    "  - file: {file}\n    release: \"2.0\"\n    reason: {reason}\n    date: {date}\n"
                );
            }
        }
        text
    }
}

fn patch_text(package: &str, patch: &GenPatch) -> String {
    let mut text = format!(
        "Description: Fix issue {} in {package}\nForwarded: not-needed\n--- a/src/{package}.c\n+++ b/src/{package}.c\n@@ -10,{} +10,{} @@\n int f(void) {{\n",
        patch.revision,
        patch.lines + 2,
        2 * patch.lines + 2
    );
    for line in 0..patch.lines {
        let _ = writeln!(text, "-    old_{line}();");
        let _ = writeln!(text, "+    new_{line}_{}();", patch.revision);
        let _ = writeln!(text, "+    check_{line}();");
    }
    text.push_str(" }\n");
    text
}

/// Seconds since the epoch of day `day` (0-based) of month `month` (0 = 2023-08).
fn epoch(month: usize, day: usize) -> (i64, String) {
    let start = time::Date::from_calendar_date(2023, time::Month::August, 1).expect("date");
    let mut date = start;
    for _ in 0..month {
        let length = date.month().length(date.year());
        date += time::Duration::days(i64::from(length));
    }
    // Thirty commits a month, spread over the month's days (February has fewer).
    let length = usize::from(date.month().length(date.year()));
    date += time::Duration::days((day * length / 30) as i64);
    let text = format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    );
    (
        date.midnight().assume_utc().unix_timestamp() + 3600 * (day as i64 % 20),
        text,
    )
}

/// Write the fast-import stream of the generated history; returns what each month holds.
fn history_stream(out: &mut Vec<u8>) -> Vec<Expected> {
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    let mut packages: Vec<GenPackage> = Vec::new();
    let mut months = vec![Expected::default(); MONTHS];
    let per_month = COMMITS / MONTHS;
    for commit in 0..COMMITS {
        let month = commit / per_month;
        let (time, date) = epoch(month, commit % per_month);
        let mut changed: Vec<usize> = Vec::new();
        let mut deleted: Vec<String> = Vec::new();
        if commit > 0 {
            // Two to five patches expire (more in later months: the delta shrinks), before
            // anything is added, so no patch comes and goes within one commit.
            let expiries = 2 + 2 * usize::from(month >= MONTHS / 2) + usize::from(commit % 3 == 0);
            for round in 0..expiries {
                let index = random.below(packages.len());
                let package = &mut packages[index];
                if package.patches.is_empty() {
                    continue;
                }
                let patch = package.patches.remove(random.below(package.patches.len()));
                // Most leave an `expired:` entry; some are just removed.
                if round != 1 {
                    let reason = REASONS[random.below(REASONS.len())];
                    package
                        .expired
                        .push((patch.file.clone(), reason, date.clone()));
                }
                deleted.push(format!("patches/{}/{}", package.name, patch.file));
                months[month].expired += 1;
                changed.push(index);
            }
        }
        let target = FIRST_PACKAGES + commit * (PACKAGES - FIRST_PACKAGES) / (COMMITS - 1);
        while packages.len() < target {
            let index = packages.len();
            let mut package = GenPackage {
                name: format!(
                    "pkg-{index:04}-{}",
                    ["lib", "tool", "daemon", "py"][index % 4]
                ),
                patches: Vec::new(),
                expired: Vec::new(),
                next: 1,
            };
            let count = if commit == 0 {
                1 + random.below(6)
            } else {
                1 + random.below(3)
            };
            for _ in 0..count {
                add_patch(&mut package, &mut random, &date);
                // The first commit is the history's starting point, not an addition.
                months[month].added += usize::from(commit > 0);
            }
            packages.push(package);
            changed.push(index);
        }
        if commit > 0 {
            // One new patch and one refreshed.
            let index = random.below(packages.len());
            add_patch(&mut packages[index], &mut random, &date);
            months[month].added += 1;
            changed.push(index);
            let index = random.below(packages.len());
            if let Some(patch) = packages[index].patches.first_mut() {
                patch.revision += 1000;
                changed.push(index);
            }
        }
        changed.sort_unstable();
        changed.dedup();
        let message = format!("commit {commit}\n");
        let _ = write!(
            out,
            "commit refs/heads/main\nmark :{}\ncommitter Test Committer <committer@example.org> {time} +0000\ndata {}\n{message}",
            commit + 1,
            message.len()
        );
        if commit > 0 {
            let _ = writeln!(out, "from :{commit}");
        }
        for path in &deleted {
            // A file deleted and written again in the same commit is written below.
            let _ = writeln!(out, "D {path}");
        }
        for index in changed {
            let package = &packages[index];
            inline(
                out,
                &format!("patches/{}/package.yaml", package.name),
                &package.manifest(),
            );
            for patch in &package.patches {
                inline(
                    out,
                    &format!("patches/{}/{}", package.name, patch.file),
                    &patch_text(&package.name, patch),
                );
            }
        }
        months[month].packages = packages.len();
        months[month].patches = packages.iter().map(|p| p.patches.len()).sum();
    }
    months
}

fn add_patch(package: &mut GenPackage, random: &mut Random, date: &str) {
    let number = package.next;
    package.next += 1;
    package.patches.push(GenPatch {
        file: format!("{number:04}-fix-issue-{}.patch", random.below(100_000)),
        status: STATUSES[random.below(STATUSES.len())],
        added: (random.below(3) > 0).then(|| date.to_string()),
        lines: 1 + random.below(12),
        revision: number,
    });
}

fn inline(out: &mut Vec<u8>, path: &str, text: &str) {
    let _ = write!(out, "M 100644 inline {path}\ndata {}\n{text}\n", text.len());
}

/// Build the workspace at `root`: a git repository with the generated history, checked out.
fn generate(root: &Path) -> Vec<Expected> {
    let mut stream = Vec::new();
    let expected = history_stream(&mut stream);
    let date = "@1690848000 +0000".to_string();
    let run = |args: &[&str]| {
        let output = git_command(root, date.clone())
            .args(args)
            .output()
            .expect("run git");
        assert!(output.status.success(), "git {args:?}: {output:?}");
    };
    std::fs::create_dir_all(root).expect("workspace folder");
    run(&["init", "-q", "-b", "main"]);
    let mut child = git_command(root, date.clone())
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("git fast-import");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&stream)
        .expect("feed git fast-import");
    assert!(child.wait().expect("git fast-import").success());
    run(&["reset", "-q", "--hard", "main"]);
    // The shipped delta-minimization pack, so the page has findings to show.
    let policies = root.join("policies");
    std::fs::create_dir_all(&policies).expect("policies folder");
    std::fs::copy(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("policies/delta-minimization.yaml"),
        policies.join("delta-minimization.yaml"),
    )
    .expect("copy the policy pack");
    expected
}

fn mindelta(root: &Path) -> assert_cmd::Command {
    let mut command = crate::support::cli::mindelta(&root.join(".cache"));
    command
        .arg("--workspace")
        .arg(root)
        .env("MINDELTA_NOW", "2026-11-28");
    command
}

#[test]
fn a_3400_package_workspace_with_40_months_renders_in_chromium() {
    // Kept beside the page and the screenshot, for benchmarks (docs/benchmarks.md).
    let root = artifacts().join("workspace-3400");
    if root.exists() {
        std::fs::remove_dir_all(&root).expect("remove the last run's workspace");
    }
    let started = Instant::now();
    let expected = generate(&root);
    eprintln!("generated the workspace in {:.1?}", started.elapsed());
    let page = artifacts().join("report-3400.html");
    let started = Instant::now();
    let output = mindelta(&root)
        .args([
            "--offline",
            "audit",
            "--format",
            "html",
            "--history",
            "--out",
        ])
        .arg(&page)
        .output()
        .expect("run mindelta");
    eprintln!(
        "audit --format html --history took {:.1?}",
        started.elapsed()
    );
    // The shipped pack finds errors in a generated workspace (exit 4); the page is written.
    assert!(
        matches!(output.status.code(), Some(0 | 4)),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let html = std::fs::read_to_string(&page).expect("the page");
    eprintln!("page: {} bytes", html.len());
    assert!(
        html.len() < PAGE_LIMIT,
        "the page is {} bytes, over 5 MB",
        html.len()
    );

    // The history the page carries is the one the generator wrote.
    let data = page_data(&html);
    assert_eq!(data["p"].as_array().expect("packages").len(), PACKAGES);
    let months = data["h"]["months"].as_array().expect("history months");
    assert_eq!(months.len(), MONTHS);
    assert_eq!(data["h"]["commits"], COMMITS);
    assert_eq!(months[0]["month"], "2023-08");
    assert_eq!(months[MONTHS - 1]["month"], "2026-11");
    for (month, want) in months.iter().zip(&expected) {
        let got = Expected {
            patches: month["patches"].as_u64().expect("patches") as usize,
            packages: month["packages"].as_u64().expect("packages") as usize,
            added: month["patches_added"].as_u64().expect("added") as usize,
            expired: month["patches_expired"].as_u64().expect("expired") as usize,
        };
        assert_eq!(&got, want, "month {}", month["month"]);
        assert!(month["median_age_days"].as_i64().is_some());
    }
    let last = &expected[MONTHS - 1];
    assert_eq!(
        data["q"].as_array().expect("patches").len(),
        last.patches,
        "the report's patches are the last month's"
    );
    assert!(
        expected[MONTHS - 1].patches < expected[0].patches,
        "the generated delta shrinks"
    );

    let Some(chromium) = chromium() else {
        return;
    };
    let opened = open(&chromium, &page);
    assert!(
        opened.console.is_empty(),
        "console messages: {:#?}",
        opened.console
    );
    assert_eq!(opened.check["ok"], true, "{}", opened.check);
    assert_eq!(opened.check["packages"], PACKAGES);
    assert_eq!(opened.check["rows"], 100, "the first page of the table");
    let points = chart_points(&opened.dom);
    assert_eq!(
        points,
        BTreeMap::from([
            ("age".to_string(), MONTHS),
            ("flow".to_string(), 2 * MONTHS),
            ("lines".to_string(), MONTHS),
            ("patches".to_string(), MONTHS),
        ]),
        "one point per month and series"
    );
    assert_eq!(opened.check["points"]["patches"], MONTHS);
    // Measured, not asserted (bench/report-html.sh times it): the script's run, and the load
    // event, from navigation start.
    eprintln!(
        "the page's script drew it in {} ms; loaded {} ms after navigation start",
        opened.check["script_ms"], opened.check["load_ms"]
    );
    let png = artifacts().join("report-3400.png");
    screenshot(&chromium, &page, &png, "1400,2200");
    eprintln!("screenshot: {}", png.display());
}
