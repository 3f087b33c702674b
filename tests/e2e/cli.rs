//! `cites-node permit validate` as an MA officer uses it: valid permits pass with exit 0, broken
//! ones print each problem with its box and exit 1, unreadable input exits 2 with the field.

use e2e_support::run;
use serde_json::Value;

use crate::{bin, fixture};

#[test]
fn validate_accepts_every_realistic_permit() {
    let names = [
        "export_permit",
        "import_permit",
        "re_export_certificate",
        "certificate_of_origin",
        "introduction_from_the_sea",
        "pre_convention_certificate",
        "captive_breeding_certificate",
        "travelling_exhibition_certificate",
        "musical_instrument_certificate",
        "ownership_certificate",
    ];
    let files: Vec<String> = names
        .iter()
        .map(|n| fixture(n).display().to_string())
        .collect();
    let mut args = vec!["permit", "validate", "--today", "2026-11-25"];
    args.extend(files.iter().map(String::as_str));
    let out = run(&bin(), &args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.matches(": valid").count(), names.len(), "{stdout}");
}

#[test]
fn validate_reports_each_problem_with_its_box() {
    let dir = tempfile::tempdir().unwrap();
    let mut permit: Value =
        serde_json::from_slice(&std::fs::read(fixture("export_permit")).unwrap()).unwrap();
    permit["valid_until"] = "2027-05-01".into();
    permit["blocks"][1]["unit"] = "KGM".into();
    let path = dir.path().join("broken.json");
    std::fs::write(&path, serde_json::to_vec(&permit).unwrap()).unwrap();

    let out = run(
        &bin(),
        &[
            "permit",
            "validate",
            "--today",
            "2026-11-25",
            path.to_str().unwrap(),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("2 problem(s)"), "{stdout}");
    assert!(
        stdout.contains("box 2: ") && stdout.contains("[validity-too-long]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("box 11 (block B): ") && stdout.contains("[unit-term]"),
        "{stdout}"
    );

    let out = run(
        &bin(),
        &[
            "permit",
            "validate",
            "--format",
            "json",
            "--today",
            "2026-11-25",
            path.to_str().unwrap(),
        ],
    );
    let problems: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(problems[0]["box"], "2");
    assert_eq!(problems[1]["rule"], "unit-term");
    assert_eq!(problems[1]["block"], "B");
}

#[test]
fn validate_names_the_bad_field_of_a_non_permit() {
    let dir = tempfile::tempdir().unwrap();
    let mut permit: Value =
        serde_json::from_slice(&std::fs::read(fixture("export_permit")).unwrap()).unwrap();
    permit["blocks"][1]["source"] = "Q".into();
    let path = dir.path().join("bad.json");
    std::fs::write(&path, serde_json::to_vec(&permit).unwrap()).unwrap();
    let out = run(&bin(), &["permit", "validate", path.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("blocks[1].source") && stderr.contains("unknown source code \"Q\""),
        "{stderr}"
    );

    let out = run(&bin(), &["permit", "validate", "/nonexistent/permit.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read /nonexistent/permit.json"));
}
