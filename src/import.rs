//! `lianxin import` and `lianxin export`: the committee's registers in and out of the
//! database. A file is read as an Excel workbook or CSV by its extension (`.xlsx`,
//! `.csv`), else by its first bytes; CSV in UTF-8 or GB18030 (detected by the store).
//! Export writes `.xlsx` (Chinese header) or CSV (English header) by the file name.
//!
//! On a terminal a progress bar shows how far a large file has got; bad rows are listed
//! with their line numbers, in English like the rest of the terminal output.

use std::io::{IsTerminal, Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use lianxin_store::{
    ExportFormat, ImportFile, ImportFormat, ImportKind, ImportMode, ImportOptions, Store,
    StoreError,
};

/// What a file holds.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Kind {
    /// Residents with their households and numbers.
    Residents,
    /// Resident units (驻区单位).
    Units,
    /// Phone-group memberships.
    Groups,
}

impl From<Kind> for ImportKind {
    fn from(k: Kind) -> ImportKind {
        match k {
            Kind::Residents => ImportKind::Residents,
            Kind::Units => ImportKind::Units,
            Kind::Groups => ImportKind::Groups,
        }
    }
}

/// `lianxin import`.
#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// What the file holds.
    kind: Kind,
    /// The file: .csv (UTF-8 or GB18030) or .xlsx.
    file: PathBuf,
    /// Import the good rows even if some rows are bad (bad rows are listed and skipped).
    #[arg(long)]
    skip_bad: bool,
    /// Only check the file: list bad rows and what would be added, change nothing.
    #[arg(long)]
    dry_run: bool,
    /// For a workbook: the sheet to read [default: the first].
    #[arg(long, value_name = "NAME")]
    sheet: Option<String>,
}

/// `lianxin export`.
#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// What to export.
    kind: Kind,
    /// Output file (.xlsx for an Excel workbook, else CSV), or "-" for CSV on standard
    /// output.
    file: PathBuf,
}

/// Runs `lianxin import`.
pub(crate) fn import(store: &Store, args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let mut file = std::fs::File::open(&args.file)
        .with_context(|| format!("cannot open {}", args.file.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let format = match ImportFormat::from_name(&args.file.to_string_lossy()) {
        Some(f) => f,
        None => {
            let mut head = [0u8; 4];
            let n = file.read(&mut head)?;
            file.seek(SeekFrom::Start(0))?;
            ImportFormat::sniff(&head[..n])
        }
    };
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::with_draw_target(Some(size), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} importing [{bar:40}] {bytes}/{total_bytes} ({eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let opts = ImportOptions {
        skip_bad: args.skip_bad,
        staff_id: None,
        source: args.file.display().to_string(),
    };
    let mode = if args.dry_run {
        ImportMode::DryRun
    } else {
        ImportMode::Commit
    };
    let started = std::time::Instant::now();
    let input = std::io::BufReader::with_capacity(1 << 20, file);
    let result = store.import_file(
        args.kind.into(),
        ImportFile {
            input,
            format,
            sheet: args.sheet.clone(),
        },
        &opts,
        mode,
        &mut |pos| bar.set_position(pos),
    );
    bar.finish_and_clear();
    let name = args.file.display();
    match result {
        Ok(r) => {
            let skipped = if args.dry_run { "bad" } else { "skipped" };
            for b in &r.bad {
                eprintln!("{name}: {skipped} {b}");
            }
            let verb = if args.dry_run {
                "would import"
            } else {
                "imported"
            };
            println!(
                "{verb} {} rows from {name} ({}) in {:.2} s: {} households (and {} changed), {} residents, {} phone numbers, {} units, {} groups, {} memberships{}",
                r.rows,
                r.read_as,
                started.elapsed().as_secs_f64(),
                r.households,
                r.households_changed,
                r.residents,
                r.phones,
                r.units,
                r.groups,
                r.memberships,
                match (r.bad.len(), args.dry_run) {
                    (0, _) => String::new(),
                    (n, true) => format!("; {n} bad rows"),
                    (n, false) => format!("; {n} bad rows skipped"),
                }
            );
            if args.dry_run {
                println!("dry run: nothing was written");
                if !r.bad.is_empty() && !args.skip_bad {
                    return Ok(ExitCode::FAILURE);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(StoreError::ImportRejected(bad)) => {
            for b in &bad {
                eprintln!("{name}: {b}");
            }
            eprintln!(
                "error: {} bad row(s) in {name}; nothing was imported (fix them, or use --skip-bad to import the good rows)",
                bad.len(),
            );
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e).with_context(|| format!("cannot import {name}")),
    }
}

/// Runs `lianxin export`.
pub(crate) fn export(store: &Store, args: &ExportArgs) -> anyhow::Result<()> {
    let file = &args.file;
    if file.as_os_str() == "-" {
        store.export_csv(args.kind.into(), std::io::stdout().lock())?;
        return Ok(());
    }
    let format = match ImportFormat::from_name(&file.to_string_lossy()) {
        Some(ImportFormat::Xlsx) => ExportFormat::Xlsx,
        _ => ExportFormat::Csv,
    };
    let n = match format {
        ExportFormat::Xlsx => {
            let (bytes, n) = store.export_xlsx(args.kind.into())?;
            std::fs::write(file, bytes)
                .with_context(|| format!("cannot write {}", file.display()))?;
            n
        }
        ExportFormat::Csv => {
            let f = std::fs::File::create(file)
                .with_context(|| format!("cannot create {}", file.display()))?;
            store.export_csv(args.kind.into(), std::io::BufWriter::new(f))?
        }
    };
    eprintln!("exported {n} rows to {}", file.display());
    Ok(())
}
