//! The audit trail for people: the verdict of `audit --verify`, and the timeline (one event a line).

use super::{paint, Shown, AMBER, DIM};
use keystead_core::audit::AuditProblem;
use keystead_core::{AuditRecord, AuditReport};
use std::process::ExitCode;

pub fn audit_report(report: &AuditReport, problems: &[String]) -> ExitCode {
    match &report.problem {
        None if problems.is_empty() => {
            println!(
                "Audit chain intact: {} event{}, anchored in the vault state.",
                report.entries,
                if report.entries == 1 { "" } else { "s" }
            );
            ExitCode::SUCCESS
        }
        problem => {
            if let Some(p) = problem {
                println!("Audit chain BROKEN: {}.", Shown(p));
                if let AuditProblem::Altered { .. } | AuditProblem::Missing { .. } = p {
                    println!("Entries before it verify; from it on the record cannot be trusted.");
                }
            } else {
                println!("Audit chain intact: {} events.", report.entries);
            }
            for w in problems {
                println!("Vault integrity: {}.", Shown(w));
            }
            println!("Restore the vault from a backup you trust, and find out who else had access to the file.");
            ExitCode::from(1)
        }
    }
}

pub fn audit_timeline(records: &[AuditRecord]) {
    if records.is_empty() {
        println!("No events.");
        return;
    }
    for r in records {
        let e = &r.event;
        let key = e
            .key_name
            .as_deref()
            .map(|n| format!("  {}", Shown(n)))
            .unwrap_or_default();
        let detail = e
            .detail
            .as_deref()
            .map(|d| format!("  — {}", Shown(d)))
            .unwrap_or_default();
        let mark = if e.recorded_while_locked {
            format!("  {}", paint("(recorded while locked)", AMBER))
        } else {
            String::new()
        };
        println!(
            "#{:<5} {}  {:<18}{key}{detail}{mark}  {}",
            r.seq,
            e.at.format("%Y-%m-%d %H:%M:%S UTC"),
            e.action.as_str(),
            paint(&format!("[{}]", e.actor), DIM)
        );
    }
}
