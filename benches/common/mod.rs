//! What the benches share: the generated rule-test workloads.

use std::path::PathBuf;

/// The folder of the shared workloads: `PROMGATE_WORKLOADS`, or a temporary folder filled by
/// `python3 $PROMGATE_GEN_WORKLOADS` (default `../shared/bench/gen_workloads.py` beside the
/// checkout).
pub fn workload_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PROMGATE_WORKLOADS") {
        return PathBuf::from(dir);
    }
    let script = std::env::var_os("PROMGATE_GEN_WORKLOADS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/gen_workloads.py")
        });
    let dir = std::env::temp_dir().join(format!("promgate-workloads-{}", std::process::id()));
    let status = std::process::Command::new("python3")
        .arg(&script)
        .arg(&dir)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("running {}: {e}", script.display()));
    assert!(status.success(), "{} failed", script.display());
    dir
}
