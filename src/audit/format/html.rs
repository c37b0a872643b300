//! The HTML rendering of `mindelta audit --format html`: one self-contained page — no network
//! when viewed, nothing fetched from a CDN — with the summary, the delta over time (charts),
//! and sortable, searchable tables of packages, patches (verdicts and their evidence) and
//! findings.
//!
//! The page is built by plain string building: the static parts here (every workspace string
//! HTML-escaped), the data as one JSON block (`<script type="application/json">`, with `<`, `>`
//! and `&` written as `\u003c`… so no text can close the block), and the page's own CSS and
//! JS (`html/page.css`, `html/page.js`), which draw the tables from the data (paginated, sorted
//! and filtered in the browser, fast for thousands of packages) and the charts as inline SVG.
//! A Content-Security-Policy allows only that one script (by its hash) and no connection at
//! all, so even text that escaped escaping could neither run nor reach the network.
//!
//! Repeated strings (statuses, detectors, rule messages, evidence) are stored once in a string
//! table; long free text is cut at `TEXT_LIMIT`. docs/report.md describes the page.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde::Serialize;
use sha2::Digest;

use crate::audit::report::{AuditReport, PackageReport, PatchReport, Summary};
use crate::audit::timeline::Timeline;

/// The page's stylesheet and script, inlined into every page.
const STYLE: &str = include_str!("html/page.css");
const SCRIPT: &str = include_str!("html/page.js");

/// Free text (a patch's reason, an evidence detail) is cut to this many characters on the
/// page: the page must stay small for thousands of patches (under 5 MB for 3,400 packages);
/// the JSON report keeps the full text.
pub const TEXT_LIMIT: usize = 240;

/// What the page says about itself.
#[derive(Debug, Clone, Default)]
pub struct HtmlOptions {
    /// The day the report was made (`YYYY-MM-DD`), shown in the header.
    pub generated: String,
}

/// Render the report as one self-contained HTML page.
pub fn render(report: &AuditReport, options: &HtmlOptions) -> String {
    let data = page_data(report, options);
    let json = serde_json::to_string(&data).unwrap_or_else(|_| "{}".to_string());
    let script_hash = base64(&sha2::Sha256::digest(SCRIPT.as_bytes()));
    let mut out = String::with_capacity(json.len() + SCRIPT.len() + STYLE.len() + 16_384);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(
        out,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         script-src 'sha256-{script_hash}'; style-src 'unsafe-inline'; img-src data:; \
         base-uri 'none'; form-action 'none'\">"
    );
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<meta name=\"generator\" content=\"mindelta\">\n");
    let _ = writeln!(
        out,
        "<title>mindelta audit — {} packages, {} patches</title>",
        report.summary.packages, report.summary.patches
    );
    let _ = writeln!(out, "<style>\n{STYLE}</style>\n</head>\n<body>");
    header(&mut out, report, options);
    history(&mut out, report.history.as_ref());
    tables(&mut out);
    out.push_str("<script type=\"application/json\" id=\"mindelta-data\">");
    out.push_str(&json_for_html(&json));
    out.push_str("</script>\n<script>");
    out.push_str(SCRIPT);
    out.push_str("</script>\n</body>\n</html>\n");
    out
}

/// The static header: title and the summary cards (readable without JavaScript).
fn header(out: &mut String, report: &AuditReport, options: &HtmlOptions) {
    let summary = &report.summary;
    out.push_str("<header>\n<h1>mindelta audit</h1>\n");
    let _ = writeln!(
        out,
        "<p class=\"meta\">Generated {} · <span id=\"render-time\"></span></p>",
        escape(&options.generated)
    );
    out.push_str("</header>\n<main>\n<section class=\"cards\" aria-label=\"Summary\">\n");
    card(out, "Packages", &number(summary.packages), "");
    card(out, "Patches carried", &number(summary.patches), "");
    card(
        out,
        "Changed lines",
        &number(summary.added + summary.removed),
        &format!("+{} −{}", number(summary.added), number(summary.removed)),
    );
    card(out, "Files touched", &number(summary.files), "");
    card(
        out,
        "Without expiry",
        &number(summary.no_expiry),
        "no fixed-in, no upstream commit",
    );
    card(out, "CVE fixes", &number(summary.cve_patches), "");
    card(
        out,
        "Outdated",
        &number(summary.outdated),
        &format!("{} unknown", number(summary.latest_unknown)),
    );
    let count = |severity: &str| summary.findings.get(severity).copied().unwrap_or(0);
    card(
        out,
        "Findings",
        &number(count("error") + count("warning") + count("info")),
        &format!(
            "{} error · {} warning · {} info",
            number(count("error")),
            number(count("warning")),
            number(count("info"))
        ),
    );
    if let Some(oldest) = &summary.oldest_pending {
        card(
            out,
            "Oldest pending",
            &format!("{} d", number(oldest.age_days.max(0) as usize)),
            &format!(
                "{}/{}",
                oldest.package.as_deref().unwrap_or("?"),
                oldest.file
            ),
        );
    }
    out.push_str("</section>\n");
    bar(
        out,
        "Patches by status",
        &summary.by_status,
        summary.patches,
    );
    if let Some(by_verdict) = &summary.by_verdict {
        let total = by_verdict.values().sum();
        bar(out, "Patches by verdict", by_verdict, total);
    }
}

fn card(out: &mut String, label: &str, value: &str, note: &str) {
    let _ = write!(
        out,
        "<div class=\"card\"><div class=\"label\">{}</div><div class=\"value\">{}</div>",
        escape(label),
        escape(value)
    );
    if !note.is_empty() {
        let _ = write!(out, "<div class=\"note\">{}</div>", escape(note));
    }
    out.push_str("</div>\n");
}

/// A stacked bar of counts with a legend.
fn bar(
    out: &mut String,
    title: &str,
    counts: &std::collections::BTreeMap<String, usize>,
    total: usize,
) {
    if total == 0 {
        return;
    }
    let _ = write!(
        out,
        "<section class=\"split\" aria-label=\"{0}\"><h2>{0}</h2><div class=\"bar\">",
        escape(title)
    );
    let mut legend = String::new();
    for (name, count) in counts {
        let percent = *count as f64 * 100.0 / total as f64;
        let class = class_name(name);
        let _ = write!(
            out,
            "<span class=\"seg {class}\" style=\"width:{percent:.2}%\" title=\"{}: {}\"></span>",
            escape(name),
            number(*count)
        );
        let _ = write!(
            legend,
            "<li><span class=\"dot {class}\"></span>{} <b>{}</b></li>",
            escape(name),
            number(*count)
        );
    }
    let _ = writeln!(out, "</div><ul class=\"legend\">{legend}</ul></section>");
}

/// The history section: the charts' frames (the script draws them) and a sentence of figures.
fn history(out: &mut String, timeline: Option<&Timeline>) {
    out.push_str(
        "<section id=\"history\" aria-label=\"Delta over time\">\n<h2>Delta over time</h2>\n",
    );
    let Some(timeline) = timeline.filter(|t| !t.months.is_empty()) else {
        out.push_str(
            "<p class=\"hint\">Run <code>mindelta audit --format html --history</code> in the \
             workspace's git repository to chart the delta over its history.</p>\n</section>\n",
        );
        return;
    };
    let (first, last) = (
        &timeline.months[0],
        &timeline.months[timeline.months.len() - 1],
    );
    let _ = writeln!(
        out,
        "<p>{} months ({} to {}), {} commits changed the delta. Patches carried: {} → {}; \
         changed lines: {} → {}.</p>",
        number(timeline.months.len()),
        escape(&first.month),
        escape(&last.month),
        number(timeline.commits),
        number(first.patches),
        number(last.patches),
        number(first.lines_added + first.lines_removed),
        number(last.lines_added + last.lines_removed),
    );
    if timeline.shallow {
        out.push_str(
            "<p class=\"warning\">The repository is a shallow clone: the history starts at \
             its first fetched commit (fetch the whole history, e.g. <code>fetch-depth: 0</code>).</p>\n",
        );
    }
    out.push_str("<div class=\"charts\">\n");
    for (chart, title) in [
        ("patches", "Patches carried"),
        ("lines", "Lines changed"),
        ("flow", "Patches added and expired per month"),
        ("age", "Median patch age (days)"),
    ] {
        let _ = writeln!(
            out,
            "<figure><figcaption>{title}</figcaption><svg data-chart=\"{chart}\" \
             viewBox=\"0 0 640 220\" role=\"img\" aria-label=\"{title}\"></svg></figure>"
        );
    }
    out.push_str("</div>\n</section>\n");
}

/// The tabs, the search box and the empty tables the script fills.
fn tables(out: &mut String) {
    out.push_str(
        "<section id=\"delta\" aria-label=\"Delta\">\n\
         <div class=\"controls\">\n\
         <div class=\"tabs\" role=\"tablist\">\
         <button role=\"tab\" data-tab=\"packages\" aria-selected=\"true\">Packages</button>\
         <button role=\"tab\" data-tab=\"patches\" aria-selected=\"false\">Patches</button>\
         <button role=\"tab\" data-tab=\"findings\" aria-selected=\"false\">Findings</button>\
         </div>\n\
         <input id=\"search\" type=\"search\" placeholder=\"Search packages, patches, CVEs, rules…\" \
         aria-label=\"Search\" autocomplete=\"off\">\n\
         <span id=\"count\" class=\"count\"></span>\n\
         </div>\n\
         <noscript><p class=\"warning\">The tables and charts are drawn by the page's script; \
         enable JavaScript to see them. The JSON report (<code>--format json</code>) holds the same \
         data.</p></noscript>\n\
         <table id=\"table\"><thead></thead><tbody></tbody></table>\n\
         <nav class=\"pager\" aria-label=\"Pages\"><button id=\"prev\">‹ Previous</button>\
         <span id=\"page\"></span><button id=\"next\">Next ›</button></nav>\n\
         </section>\n</main>\n\
         <footer>Made by <b>mindelta</b>. Self-contained: this page loads nothing from the network.</footer>\n\
         <output id=\"mindelta-check\" hidden></output>\n",
    );
}

/// The data block: the report in a compact shape, repeated strings in `t`.
#[derive(Serialize)]
struct PageData<'a> {
    /// The string table: other fields name its entries by index.
    t: Vec<String>,
    /// The day the report was made.
    g: &'a str,
    /// The totals, as in the JSON report.
    s: &'a Summary,
    /// Packages.
    p: Vec<PagePackage>,
    /// Patches of all packages.
    q: Vec<PagePatch>,
    /// Findings.
    f: Vec<PageFinding>,
    /// The delta over time, as in the JSON report.
    #[serde(skip_serializing_if = "Option::is_none")]
    h: Option<&'a Timeline>,
}

/// One package (`n` name, `v` version, `l` latest, `o` outdated, `u` upstream kind, `m`
/// manifest, `pc` patches, `fc` files, `a`/`r` lines added/removed, `st` [status, count]…,
/// `x` without expiry, `c` CVE fixes, `e` expired entries, `op` oldest pending age, `rl` the
/// release of the verdicts, `vd` [verdict, count]…).
#[derive(Serialize)]
struct PagePackage {
    n: String,
    v: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    l: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    o: Option<bool>,
    u: usize,
    m: String,
    pc: usize,
    fc: usize,
    a: usize,
    r: usize,
    st: Vec<(usize, usize)>,
    x: usize,
    c: usize,
    e: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    op: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rl: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    vd: Vec<(usize, usize)>,
}

/// One patch (`k` package index, `f` file, `s` status, `g` age in days, `d` the date it counts
/// from, `a`/`r` lines, `n` files, `x` expiry condition, `c` CVEs, `w` why (reason or
/// subject), `v` verdict, `vr` the detector that proved it, `ev` [detector, result, detail]…).
#[derive(Serialize)]
struct PagePatch {
    k: usize,
    f: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    s: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    g: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    d: Option<String>,
    a: usize,
    r: usize,
    n: usize,
    x: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    c: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    w: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    v: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vr: Option<usize>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ev: Vec<(usize, usize, usize)>,
}

/// One finding (`k` package index, `pn` package name when it is not in the report, `p` patch,
/// `r` rule, `s` severity, `m` message, `h` help, `lf`/`ll` location file and line).
#[derive(Serialize)]
struct PageFinding {
    #[serde(skip_serializing_if = "Option::is_none")]
    k: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    p: Option<String>,
    r: usize,
    s: usize,
    m: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    h: Option<usize>,
    lf: usize,
    ll: usize,
}

/// Strings stored once, named by index.
#[derive(Default)]
struct Strings {
    list: Vec<String>,
    index: HashMap<String, usize>,
}

impl Strings {
    fn of(&mut self, text: &str) -> usize {
        if let Some(index) = self.index.get(text) {
            return *index;
        }
        let index = self.list.len();
        self.list.push(text.to_string());
        self.index.insert(text.to_string(), index);
        index
    }
}

fn page_data<'a>(report: &'a AuditReport, options: &'a HtmlOptions) -> PageData<'a> {
    let mut strings = Strings::default();
    let mut packages = Vec::with_capacity(report.packages.len());
    let mut patches = Vec::with_capacity(report.summary.patches);
    let mut position = HashMap::new();
    for (index, package) in report.packages.iter().enumerate() {
        position.insert(package.name.as_str(), index);
        packages.push(page_package(package, &mut strings));
        for patch in &package.patches {
            patches.push(page_patch(index, patch, &mut strings));
        }
    }
    let findings = report
        .findings
        .iter()
        .map(|finding| {
            let k = position.get(finding.package.as_str()).copied();
            PageFinding {
                k,
                pn: k.is_none().then(|| finding.package.clone()),
                p: finding.patch.clone(),
                r: strings.of(&finding.rule),
                s: strings.of(finding.severity.as_str()),
                m: strings.of(&cut(&finding.message)),
                h: finding.help.as_deref().map(|h| strings.of(&cut(h))),
                lf: strings.of(&finding.location.file),
                ll: finding.location.line,
            }
        })
        .collect();
    PageData {
        t: strings.list,
        g: &options.generated,
        s: &report.summary,
        p: packages,
        q: patches,
        f: findings,
        h: report.history.as_ref(),
    }
}

fn page_package(package: &PackageReport, strings: &mut Strings) -> PagePackage {
    PagePackage {
        n: package.name.clone(),
        v: package.version.clone(),
        l: package.latest.clone(),
        o: package.outdated,
        u: strings.of(&package.upstream.kind),
        m: package.manifest.clone(),
        pc: package.delta.patches,
        fc: package.delta.files,
        a: package.delta.added,
        r: package.delta.removed,
        st: package
            .by_status
            .iter()
            .map(|(status, count)| (strings.of(status), *count))
            .collect(),
        x: package.no_expiry,
        c: package.cve_patches,
        e: package.expired,
        op: package.oldest_pending.as_ref().map(|o| o.age_days),
        rl: package.release.clone(),
        vd: package
            .by_verdict
            .iter()
            .flatten()
            .map(|(verdict, count)| (strings.of(verdict), *count))
            .collect(),
    }
}

fn page_patch(package: usize, patch: &PatchReport, strings: &mut Strings) -> PagePatch {
    let why = patch
        .reason
        .as_deref()
        .or(patch.header.subject.as_deref())
        .or(patch.header.description.as_deref())
        .and_then(|text| text.lines().map(str::trim).find(|line| !line.is_empty()))
        .map(cut);
    PagePatch {
        k: package,
        f: patch.file.clone(),
        s: patch.status.as_deref().map(|s| strings.of(s)),
        g: patch.age_days,
        d: patch.added.clone(),
        a: patch.delta.added,
        r: patch.delta.removed,
        n: patch.delta.files,
        x: strings.of(&super::expiry(patch)),
        c: patch.cves.clone(),
        w: why,
        v: patch.verdict.as_deref().map(|v| strings.of(v)),
        vr: patch.verdict_reason.as_deref().map(|r| strings.of(r)),
        ev: patch
            .evidence
            .iter()
            .map(|e| {
                (
                    strings.of(&e.detector),
                    strings.of(&e.result),
                    strings.of(&cut(&e.detail)),
                )
            })
            .collect(),
    }
}

/// `text` cut to `TEXT_LIMIT` characters, with an ellipsis when cut.
fn cut(text: &str) -> String {
    match text.char_indices().nth(TEXT_LIMIT) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

/// Text for HTML content and attribute values: `&`, `<`, `>`, `"` and `'` escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON made safe inside a `<script>` element: `<`, `>` and `&` (and the JavaScript line
/// separators U+2028/U+2029) written as `\u` escapes, which JSON reads back as the same
/// characters; so no `</script>` or `<!--` can appear in the block.
fn json_for_html(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + json.len() / 64);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// A CSS class for a status or verdict: known words keep their name, anything else `other`.
fn class_name(name: &str) -> &'static str {
    match name {
        "pending" => "s-pending",
        "submitted" => "s-submitted",
        "backport" => "s-backport",
        "denied" => "s-denied",
        "inappropriate" => "s-inappropriate",
        "inactive-upstream" => "s-inactive",
        "none" => "s-none",
        "needed" => "v-needed",
        "expired" => "v-expired",
        "partial" => "v-partial",
        "conflict" => "v-conflict",
        "unknown" => "v-unknown",
        _ => "s-other",
    }
}

/// `12,345`.
fn number(value: usize) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Standard base64 with padding (for the script's hash in the Content-Security-Policy).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::report::{EvidenceReport, Finding, Location, Severity};

    fn hostile_report() -> AuditReport {
        let evil = "</script><script>alert(1)</script><!--";
        let mut package = PackageReport {
            name: evil.to_string(),
            version: "1.0\"><img src=x onerror=alert(2)>".into(),
            ..PackageReport::default()
        };
        package.by_status.insert("<b>status</b>".into(), 1);
        package.delta.patches = 1;
        package.patches.push(PatchReport {
            file: "<img src=x onerror=alert(3)>.patch".into(),
            reason: Some(evil.into()),
            status: Some("<i>".into()),
            evidence: vec![EvidenceReport {
                detector: "content".into(),
                result: "proves".into(),
                detail: evil.into(),
            }],
            ..PatchReport::default()
        });
        let findings = vec![Finding {
            rule: "r".into(),
            severity: Severity::Error,
            package: evil.into(),
            message: evil.into(),
            location: Location {
                file: evil.into(),
                line: 1,
            },
            ..Finding::default()
        }];
        let summary = Summary::of(std::slice::from_ref(&package), &findings);
        AuditReport {
            packages: vec![package],
            findings,
            summary,
            history: None,
        }
    }

    #[test]
    fn workspace_text_never_becomes_markup() {
        let page = render(
            &hostile_report(),
            &HtmlOptions {
                generated: "<now>".into(),
            },
        );
        assert_eq!(
            page.matches("<script").count(),
            2,
            "the data block and the page's script"
        );
        assert_eq!(page.matches("</script>").count(), 2);
        for raw in [
            "<img",
            "<b>status",
            "<i>",
            "<!--",
            "alert(1)</script>",
            "<now>",
        ] {
            assert!(!page.contains(raw), "`{raw}` is in the page unescaped");
        }
        assert!(page.contains("&lt;b&gt;status&lt;/b&gt;"));
        // The data block reads back as the same text.
        let start = page.find("id=\"mindelta-data\">").expect("data block") + 19;
        let end = start + page[start..].find("</script>").expect("end of block");
        let data: serde_json::Value = serde_json::from_str(&page[start..end]).expect("JSON");
        assert_eq!(data["p"][0]["n"], "</script><script>alert(1)</script><!--");
    }

    #[test]
    fn the_script_is_allowed_by_its_hash_and_nothing_is_fetched() {
        let page = render(&AuditReport::default(), &HtmlOptions::default());
        let hash = base64(&sha2::Sha256::digest(SCRIPT.as_bytes()));
        assert!(page.contains(&format!("script-src 'sha256-{hash}'")));
        assert!(page.contains("default-src 'none'"));
        // Nothing the browser would load: no links, no sources, no imports, no requests.
        for load in [
            "<link",
            " src=",
            " href=",
            "@import",
            "url(",
            "fetch(",
            "XMLHttpRequest",
        ] {
            assert!(!page.contains(load), "`{load}` in the page");
        }
    }

    #[test]
    fn helpers() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(number(0), "0");
        assert_eq!(number(1234567), "1,234,567");
        assert_eq!(number(999), "999");
        assert_eq!(escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
        assert_eq!(
            json_for_html("\"</x>&\u{2028}\""),
            "\"\\u003c/x\\u003e\\u0026\\u2028\""
        );
        let long = "é".repeat(TEXT_LIMIT + 5);
        assert_eq!(cut(&long).chars().count(), TEXT_LIMIT + 1);
        assert_eq!(cut("short"), "short");
    }
}
