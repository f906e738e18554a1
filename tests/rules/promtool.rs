//! Side by side with Debian's promtool 2.42 (`/usr/bin/promtool`, installed by `.ci/run`):
//! the same files give the same verdicts and, where the formats are shared, the same text.

use std::process::Command;

fn promtool(args: &[&str], dir: &std::path::Path) -> (Option<i32>, String) {
    let out = Command::new("promtool")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("promtool 2.42 must be installed (apt-get install prometheus)");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

fn promgate(args: &[&str], dir: &std::path::Path) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_promgate"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

#[test]
#[ignore = "needs promtool 2.42; run by .ci/run"]
fn test_rules_output_matches_promtool() {
    let dir = super::data("unittest");
    for path in super::yaml_files("unittest") {
        let name = path.file_name().unwrap().to_str().unwrap();
        if name.contains("rules") {
            continue;
        }
        let (want_code, want) = promtool(&["test", "rules", name], &dir);
        if name.starts_with("ext_") {
            // promgate's own keys ("Beyond promtool"): promtool rejects the file.
            assert_eq!(want_code, Some(1), "{name}\n{want}");
            assert!(want.contains("yaml: unmarshal errors"), "{name}\n{want}");
            continue;
        }
        let (code, got) = promgate(&["test", "rules", "--semantics", "prometheus2", name], &dir);
        assert_eq!(
            code, want_code,
            "{name}\npromtool:\n{want}\npromgate:\n{got}"
        );
        // Our additions: a `why:` line under `got: nil`, evaluation-order warnings; YAML errors
        // in our own words.
        let ours: Vec<&str> = got
            .lines()
            .filter(|l| {
                let l = l.trim_start();
                !l.starts_with("why:") && !l.starts_with("WARNING (evaluation order)")
            })
            .collect();
        if want.contains("yaml: unmarshal errors") {
            continue;
        }
        assert_eq!(ours.join("\n").trim_end(), want.trim_end(), "{name}");
    }
}

#[test]
#[ignore = "needs promtool 2.42; run by .ci/run"]
fn check_rules_matches_promtool() {
    for folder in ["rules/err", "rules/ok"] {
        let dir = super::data(folder);
        for path in super::yaml_files(folder) {
            let name = path.file_name().unwrap().to_str().unwrap();
            let (want_code, want) = promtool(&["check", "rules", name], &dir);
            let (code, got) = promgate(
                &["check", "rules", "--semantics", "prometheus2", name],
                &dir,
            );
            if name == "operator_manifest.yml" {
                // promtool refuses PrometheusRule manifests; we read them on purpose.
                assert_eq!((want_code, code), (Some(1), Some(0)));
                continue;
            }
            assert_eq!(
                code, want_code,
                "{name}\npromtool:\n{want}\npromgate:\n{got}"
            );
            if want.contains("yaml:") {
                continue;
            }
            // Rule-level messages are the same lines; promtool's label order is Go map order.
            let lines = |t: &str| {
                let mut v: Vec<String> = t
                    .lines()
                    .filter(|l| l.starts_with(&format!("{name}: ")))
                    .map(str::to_string)
                    .collect();
                v.sort();
                v
            };
            assert_eq!(lines(&got), lines(&want), "{name}");
        }
    }
}

#[test]
#[ignore = "generates the shared workloads (python3) and runs them; run by .ci/run"]
fn shared_workloads_pass() {
    let script = std::env::var_os("PROMGATE_GEN_WORKLOADS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../shared/bench/gen_workloads.py")
        });
    let dir = std::env::temp_dir().join(format!("promgate-workloads-test-{}", std::process::id()));
    let status = Command::new("python3")
        .arg(&script)
        .arg(&dir)
        .status()
        .unwrap();
    assert!(status.success());
    for w in ["suite", "fleet-1h", "l4-24h"] {
        let path = dir.join(format!("{w}.test.yml"));
        let report =
            promgate::unittest::run_path(&path, &promgate::unittest::TestOptions::default());
        assert!(report.is_success(), "{w}: {}", report.promtool_output().1);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
