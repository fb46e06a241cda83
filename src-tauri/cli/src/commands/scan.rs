//! `keystead scan`: the leak scanner over folders. The vault's secrets go to core's matcher and are never
//! printed; the scan is audited and the keys found are flagged (core's `record_scan`).

use super::open;
use crate::args::ScanArgs;
use crate::failure::{usage, CliResult};
use crate::output;
use keystead_core::scan::{self, ScanOptions, ScanProgress};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

/// `8M`, `512K`, `1G` or a number of bytes.
fn size(text: &str) -> CliResult<u64> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => (&t[..i], t[i..].trim()),
        None => (t, ""),
    };
    let factor: u64 = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1024,
        "M" | "MB" | "MIB" => 1024 * 1024,
        "G" | "GB" | "GIB" => 1024 * 1024 * 1024,
        _ => 0,
    };
    match digits.parse::<u64>() {
        Ok(n) if factor > 0 && n > 0 => Ok(n.saturating_mul(factor)),
        _ => Err(usage(format!(
            "--max-file-size {text}: give a size such as 8M, 512K or 1G"
        ))),
    }
}

pub fn scan(path: &Path, a: ScanArgs) -> CliResult<ExitCode> {
    if a.ignored || !a.unignore.is_empty() {
        return ignore_list(path, &a);
    }
    if a.locked && !a.ignore.is_empty() {
        return Err(usage(
            "--ignore needs the vault: a locked scan does not name its findings (drop --locked)",
        ));
    }
    let roots: Vec<_> = a
        .paths
        .iter()
        .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone()))
        .collect();
    let mut options = ScanOptions::new(roots.clone());
    options.include_ignored = a.include_ignored;
    options.max_file_size = size(&a.max_file_size)?;
    options.history = a.history;
    let mut vault = if a.locked || !path.exists() {
        None
    } else {
        Some(open(path)?)
    };
    let own = match vault.as_mut() {
        Some(v) => {
            options.finding_ids = Some(v.finding_id_key()?);
            v.scan_secrets()?
        }
        None => Vec::new(),
    };
    let live = std::io::stderr().is_terminal() && !a.json;
    let progress = |p: &ScanProgress| {
        if live {
            let mut err = std::io::stderr().lock();
            let _ = write!(
                err,
                "\r{} files, {:.1} MB, {} findings…",
                p.files,
                p.bytes as f64 / 1e6,
                p.findings
            );
            let _ = err.flush();
        }
    };
    let cancel = AtomicBool::new(false);
    let result = scan::scan(&options, &own, &progress, &cancel);
    drop(own);
    if live {
        eprint!("\r\x1b[2K");
    }
    let mut report = result?;
    report.own_secrets = vault.is_some();
    if let Some(v) = vault.as_mut() {
        if !a.ignore.is_empty() {
            let chosen: Vec<_> = report
                .findings
                .iter()
                .filter(|f| f.id.as_ref().is_some_and(|id| a.ignore.contains(id)))
                .cloned()
                .collect();
            if let Some(missing) = a
                .ignore
                .iter()
                .find(|id| !chosen.iter().any(|f| f.id.as_ref() == Some(*id)))
            {
                return Err(usage(format!(
                    "--ignore {missing}: no finding of this scan has that ID (the last column of the findings); nothing was ignored"
                )));
            }
            v.ignore_findings(&chosen)?;
        }
        v.apply_ignores(&mut report, a.include_ignored)?;
        v.record_scan(&roots, &report)?;
    }
    if a.json {
        output::json(&report)?;
    } else {
        output::scan_report(&report);
    }
    Ok(if report.findings.iter().all(|f| f.ignored) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `--ignored` (the list) and `--unignore ID…`.
fn ignore_list(path: &Path, a: &ScanArgs) -> CliResult<ExitCode> {
    let mut vault = open(path)?;
    if !a.unignore.is_empty() {
        let back = vault.unignore_findings(&a.unignore)?;
        if a.json {
            output::json(&back)?;
        } else {
            for f in &back {
                println!(
                    "{} is reported again: {}:{} ({})",
                    f.id,
                    output::Shown(&f.path),
                    f.line,
                    f.rule
                );
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let list = vault.ignored_findings()?;
    if a.json {
        output::json(&list)?;
    } else {
        output::ignored_findings(&list);
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::size;

    #[test]
    fn sizes_take_k_m_g_and_refuse_the_rest() {
        assert_eq!(size("8M").ok(), Some(8 * 1024 * 1024));
        assert_eq!(size("512k").ok(), Some(512 * 1024));
        assert_eq!(size("100").ok(), Some(100));
        assert!(size("0").is_err() && size("ten").is_err() && size("5T").is_err());
    }
}
