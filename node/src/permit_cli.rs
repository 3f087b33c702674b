//! `cites-node permit validate FILE`: the contracts' rules from the command line, so an MA can
//! check a permit exported from its national system before anything is signed.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use contracts::{Permit, Problem, ValidationContext, validate};

/// How the problems are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per problem: `box 11 (block A): ... [rule-code]`.
    Text,
    /// A JSON array of `{box, block, rule, message}`.
    Json,
}

/// The result of checking one file.
pub enum Outcome {
    /// No problem.
    Valid,
    /// The permit parsed but breaks rules.
    Invalid(Vec<Problem>),
}

/// Reads, parses and validates; a file that is not a permit is an error with the field path.
pub fn check_file(path: &Path, today: chrono::NaiveDate) -> anyhow::Result<Outcome> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let permit = Permit::from_json(&bytes).with_context(|| {
        format!(
            "{} is not a permit in the canonical JSON form",
            path.display()
        )
    })?;
    let problems = validate(&permit, &ValidationContext { today });
    Ok(if problems.is_empty() {
        Outcome::Valid
    } else {
        Outcome::Invalid(problems)
    })
}

/// Prints the outcome; returns whether the permit was valid.
pub fn report(
    path: &Path,
    outcome: &Outcome,
    format: Format,
    out: &mut impl Write,
) -> anyhow::Result<bool> {
    match (outcome, format) {
        (Outcome::Valid, Format::Text) => {
            writeln!(out, "{}: valid", path.display())?;
            Ok(true)
        }
        (Outcome::Valid, Format::Json) => {
            writeln!(out, "[]")?;
            Ok(true)
        }
        (Outcome::Invalid(problems), Format::Text) => {
            writeln!(out, "{}: {} problem(s)", path.display(), problems.len())?;
            for p in problems {
                writeln!(out, "  {p}")?;
            }
            Ok(false)
        }
        (Outcome::Invalid(problems), Format::Json) => {
            serde_json::to_writer_pretty(&mut *out, problems)?;
            writeln!(out)?;
            Ok(false)
        }
    }
}
