//! Criterion benchmark of the patch parser and the applier on a synthetic series.
//!
//! The series is built in code, deterministically: a tree of one 20,000-line file and 19
//! files of 1,000 lines, and 200 patches, each changing three spots of the big file and one of
//! a small file (made with `patch::diff::diff_files`, so every patch applies on top of the
//! previous ones). Measured: `parse_patches` over the whole series, and `WorkTree::apply` of
//! the series with and without the final `write`. Real-world numbers (Debian series against
//! GNU patch and git apply) live in `bench/apply-series.py`.

use std::hint::black_box;
use std::path::Path;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use mindelta_patch::apply::{ApplyOptions, WorkTree};
use mindelta_patch::diff::diff_files;
use mindelta_patch::parse_patches;
use mindelta_patch::write::write_file;

const BIG_LINES: usize = 20_000;
const SMALL_FILES: usize = 19;
const SMALL_LINES: usize = 1_000;
const PATCHES: usize = 200;

/// A small deterministic generator (64-bit LCG), so the series is the same on every run.
struct Sequence(u64);

impl Sequence {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }
}

/// The series: the pristine files (path, lines) and the 200 patch texts in order.
struct Series {
    files: Vec<(String, Vec<String>)>,
    patches: Vec<Vec<u8>>,
}

fn source_line(file: usize, line: usize) -> String {
    match line % 7 {
        0 => "}\n".to_string(),
        1 => format!("static int function_{file}_{line}(struct context *context)\n"),
        2 => "{\n".to_string(),
        _ => format!("\tcontext->value_{line} = compute({file}, {line}, context->flags);\n"),
    }
}

fn join(lines: &[String]) -> Vec<u8> {
    lines.concat().into_bytes()
}

/// Change a few lines around `at`: replace one, insert one, delete one.
fn edit(lines: &mut Vec<String>, at: usize, patch: usize) {
    let at = at.min(lines.len().saturating_sub(3));
    lines[at] = format!("\tcontext->patched_{patch} = true; /* was line {at} */\n");
    lines.insert(at + 1, format!("\tlog_change({patch}, {at});\n"));
    lines.remove(at + 2);
}

fn build_series() -> Series {
    let mut sequence = Sequence(0x6d696e64656c7461);
    let mut files: Vec<(String, Vec<String>)> = Vec::new();
    files.push((
        "src/big.c".to_string(),
        (0..BIG_LINES).map(|line| source_line(0, line)).collect(),
    ));
    for file in 1..=SMALL_FILES {
        files.push((
            format!("src/module_{file:02}.c"),
            (0..SMALL_LINES)
                .map(|line| source_line(file, line))
                .collect(),
        ));
    }
    let pristine = files.clone();

    let mut patches = Vec::with_capacity(PATCHES);
    for number in 0..PATCHES {
        let mut text = format!(
            "From: Bench <bench@example.org>\nSubject: [PATCH {number}/{PATCHES}] synthetic change\n\n---\n"
        )
        .into_bytes();
        let small = 1 + sequence.below(SMALL_FILES);
        for index in [0, small] {
            let (path, lines) = &mut files[index];
            let before = join(lines);
            let spots = if index == 0 { 3 } else { 1 };
            for _ in 0..spots {
                let at = sequence.below(lines.len());
                edit(lines, at, number);
            }
            let file = diff_files(path, path, &before, &join(lines), 3);
            write_file(&file, &mut text);
        }
        patches.push(text);
    }
    Series {
        files: pristine,
        patches,
    }
}

fn lay_out(series: &Series, root: &Path) {
    for (path, lines) in &series.files {
        let full = root.join(path);
        std::fs::create_dir_all(full.parent().expect("files live in src/")).expect("create src/");
        std::fs::write(full, join(lines)).expect("write a pristine file");
    }
}

fn bench_parse(criterion: &mut Criterion, series: &Series) {
    let bytes: usize = series.patches.iter().map(Vec::len).sum();
    let mut group = criterion.benchmark_group("parse");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("series_200", |bencher| {
        bencher.iter(|| {
            for text in &series.patches {
                black_box(parse_patches(black_box(text)).expect("the synthetic patch parses"));
            }
        })
    });
    group.finish();
}

fn bench_apply(criterion: &mut Criterion, series: &Series) {
    let parsed: Vec<_> = series
        .patches
        .iter()
        .flat_map(|text| parse_patches(text).expect("the synthetic patch parses"))
        .collect();
    let options = ApplyOptions {
        strip: 1,
        fuzz: 0,
        reverse: false,
    };
    let fresh_tree = || {
        let directory = tempfile::tempdir().expect("create a temporary tree");
        lay_out(series, directory.path());
        directory
    };
    let apply_all = |root: &Path| {
        let mut tree = WorkTree::open(root).expect("open the tree");
        for patch in &parsed {
            black_box(tree.apply(patch, &options).expect("the series applies"));
        }
        tree
    };

    let mut group = criterion.benchmark_group("apply");
    group.throughput(Throughput::Elements(parsed.len() as u64));
    group.bench_function("series_200_in_memory", |bencher| {
        let directory = fresh_tree();
        bencher.iter(|| black_box(apply_all(directory.path())))
    });
    group.bench_function("series_200_write", |bencher| {
        bencher.iter_batched(
            fresh_tree,
            |directory| {
                black_box(apply_all(directory.path()).write().expect("write the tree"));
                directory
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn benches(criterion: &mut Criterion) {
    let series = build_series();
    bench_parse(criterion, &series);
    bench_apply(criterion, &series);
}

criterion_group!(apply, benches);
criterion_main!(apply);
