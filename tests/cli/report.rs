//! `promgate dryrun DIR --report OUTDIR`, run as the real binary on the small dry-run of
//! `tests/data/cli/dryrun-small`: the files, a Markdown snapshot, well-formed and
//! deterministic SVG.

use std::path::{Path, PathBuf};
use std::process::Command;

const DIR: &str = "tests/data/cli/dryrun-small";

/// Runs the dry-run with `--report` into a fresh folder and returns it.
fn report(name: &str) -> PathBuf {
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("report-{name}"));
    let _ = std::fs::remove_dir_all(&out_dir);
    let out = Command::new(env!("CARGO_BIN_EXE_promgate"))
        .args(["dryrun", DIR, "--output", "json", "--report"])
        .arg(&out_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run promgate");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // JSON output is untouched by the report (and no progress bar reaches it).
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(json["verdict"], "GO");
    out_dir
}

/// Every element is closed in order and the document is one `<svg>` element.
fn assert_well_formed_svg(svg: &str) {
    assert!(svg.starts_with("<svg "), "{}", &svg[..svg.len().min(80)]);
    assert!(svg.trim_end().ends_with("</svg>"));
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = svg;
    while let Some(open) = rest.find('<') {
        let close = rest[open..].find('>').expect("an unclosed tag") + open;
        let tag = &rest[open + 1..close];
        assert!(!tag.contains('<'), "a '<' inside a tag: {tag}");
        let name = |t: &str| {
            t.split(|c: char| c.is_whitespace() || c == '/')
                .next()
                .unwrap_or("")
                .to_string()
        };
        if let Some(end) = tag.strip_prefix('/') {
            let top = stack.pop().expect("a closing tag without an opening one");
            assert_eq!(name(top), end.trim(), "mismatched closing tag");
        } else if !tag.ends_with('/') && !tag.starts_with('?') && !tag.starts_with('!') {
            stack.push(tag);
        }
        rest = &rest[close + 1..];
    }
    assert!(stack.is_empty(), "unclosed elements: {stack:?}");
}

#[test]
fn report_writes_markdown_and_one_chart_per_gate() {
    let dir = report("files");
    let markdown = std::fs::read_to_string(dir.join("report.md")).unwrap();
    insta::assert_snapshot!("dryrun_small_report_md", markdown);
    for gate in ["load", "up"] {
        let svg = std::fs::read_to_string(dir.join("charts").join(format!("{gate}.svg"))).unwrap();
        assert_well_formed_svg(&svg);
        assert!(svg.contains("time since start (min)"), "{gate}");
        assert!(svg.contains("decision (GO)"), "{gate}");
    }
    let load = std::fs::read_to_string(dir.join("charts/load.svg")).unwrap();
    for legend in [
        "threshold &lt;= 0.8",
        "gate failing",
        "no value",
        "drift alarm",
        "every alarm (85)",
    ] {
        assert!(load.contains(legend), "no {legend:?} in the load chart");
    }
    let up = std::fs::read_to_string(dir.join("charts/up.svg")).unwrap();
    // `up` fell back to vector(1) in its gap: a value at every step, never failing.
    assert!(!up.contains("no value") && !up.contains("gate failing"));
    assert!(up.contains("from the fallback"));
    assert!(!load.contains("from the fallback"));
    assert!(up.contains("fallback 4.56%"), "the fallback share is shown");
}

#[test]
fn report_bytes_are_deterministic() {
    let (a, b) = (report("first"), report("second"));
    let mut files = vec![PathBuf::from("report.md")];
    for entry in std::fs::read_dir(a.join("charts")).unwrap() {
        files.push(Path::new("charts").join(entry.unwrap().file_name()));
    }
    files.sort();
    assert_eq!(files.len(), 3, "{files:?}");
    for f in files {
        let (x, y) = (
            std::fs::read(a.join(&f)).unwrap(),
            std::fs::read(b.join(&f)).unwrap(),
        );
        assert!(x == y, "{} differs between two runs", f.display());
    }
}

#[test]
fn report_into_a_file_is_an_error() {
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_promgate"))
        .args(["dryrun", DIR, "--report"])
        .arg(&file)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run promgate");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with("error: ") && err.contains("report-not-a-dir"),
        "{err}"
    );
}
