//! `lianxin import` is all-or-nothing: a bad row in the middle or a `kill -9` halfway
//! (with uncommitted rows already written to the WAL) leaves the database exactly as it was
//! (issue 2).

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const HEADER: &str = "household,street,number,building,unit,room,dwelling,block,household_notes,home_phones,name,sex,dob,work,skills,notes,mobiles\n";

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lianxin"));
    c.env_remove("LIANXIN_DB").env_remove("LIANXIN_CONFIG");
    c
}

fn run(db: &Path, args: &[&str]) -> Output {
    bin().arg("--db").arg(db).args(args).output().unwrap()
}

fn row(i: u64) -> String {
    format!(
        "T{i:07},朝阳门北小街,{},{},{},{}0{},楼房,第五片区,,6{:07},居民{i},{},19{:02}-0{}-1{},职员,,,13{:09}\n",
        i % 40 + 1,
        i % 12 + 1,
        i % 6 + 1,
        i % 18 + 1,
        i % 4 + 1,
        i,
        if i.is_multiple_of(2) { "女" } else { "男" },
        i % 90 + 10,
        i % 9 + 1,
        i % 10,
        i
    )
}

fn write_csv(path: &Path, rows: impl Iterator<Item = String>, bom: bool) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    if bom {
        f.write_all("\u{feff}".as_bytes()).unwrap();
    }
    f.write_all(HEADER.as_bytes()).unwrap();
    for r in rows {
        f.write_all(r.as_bytes()).unwrap();
    }
    f.flush().unwrap();
}

/// Everything observable about the data: counts and a full export.
fn snapshot(db: &Path, dir: &Path) -> (String, Vec<u8>) {
    let check = run(db, &["db", "check"]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let counts = String::from_utf8(check.stdout).unwrap();
    assert!(counts.contains("integrity: ok"), "{counts}");
    let out = dir.join("export.csv");
    assert!(run(db, &["export", "residents", out.to_str().unwrap()])
        .status
        .success());
    (counts, std::fs::read(out).unwrap())
}

fn setup(rows: u64) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    assert!(run(&db, &["db", "init"]).status.success());
    let first = dir.path().join("first.csv");
    write_csv(&first, (1..=rows).map(row), false);
    let out = run(&db, &["import", "residents", first.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (dir, db)
}

#[test]
fn bad_row_in_the_middle_changes_nothing_and_is_reported() {
    let (dir, db) = setup(100);
    let before = snapshot(&db, dir.path());
    let file = dir.path().join("more.csv");
    // Rows 1001..=1100; line 51 (row 1050) has a bad number, line 77 a bad date.
    write_csv(
        &file,
        (1001..=1100).map(|i| match i {
            1050 => "T1050,朝阳门北小街,1,1,1,101,楼房,,,6512x456,坏号码,女,1970-01-01,,,,\n"
                .to_string(),
            1076 => "T1076,朝阳门北小街,1,1,1,101,楼房,,,,坏日期,女,1970-02-30,,,,\n".to_string(),
            _ => row(i),
        }),
        true,
    );
    let out = run(&db, &["import", "residents", file.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 51:") && err.contains("6512x456"),
        "{err}"
    );
    assert!(
        err.contains("line 77:") && err.contains("1970-02-30"),
        "{err}"
    );
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(snapshot(&db, dir.path()), before, "database changed");

    // --skip-bad imports the 98 good rows (the file has a BOM: header still found).
    let out = run(
        &db,
        &["import", "residents", file.to_str().unwrap(), "--skip-bad"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 98 rows"));
    let p: serde_json::Value =
        serde_json::from_slice(&run(&db, &["lookup", "+86 10 6000 1099", "--json"]).stdout)
            .unwrap();
    assert_eq!(p["matches"][0]["members"][0]["name"], "居民1099");
}

#[test]
fn kill_9_during_a_large_import_leaves_the_database_as_before() {
    let (dir, db) = setup(50);
    let before = snapshot(&db, dir.path());
    let big = dir.path().join("big.csv");
    write_csv(&big, (100_000..700_000).map(row), false);
    let wal = dir.path().join("t.db-wal");
    let wal_before = wal_size(&wal);
    let mut child = bin()
        .arg("--db")
        .arg(&db)
        .args(["import", "residents", big.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it without warning once the import's transaction has provably reached the disk
    // (uncommitted pages spill into the WAL when the page cache fills, about halfway
    // through this file), while the process is still running.
    let started = Instant::now();
    let mut grown = 0;
    while grown < SPILLED {
        assert!(
            child.try_wait().unwrap().is_none(),
            "import finished after {:?} before it could be killed (WAL grew at most {grown} bytes)",
            started.elapsed()
        );
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the import wrote nothing to the WAL in 10 minutes"
        );
        std::thread::sleep(Duration::from_millis(5));
        grown = grown.max(wal_size(&wal).saturating_sub(wal_before));
    }
    child.kill().unwrap(); // SIGKILL on Unix
    let status = child.wait().unwrap();
    // Killed by the signal, not finished on its own between the last check and the kill.
    assert_eq!(
        status.signal(),
        Some(9),
        "the import ended on its own ({status}) instead of being killed mid-transaction"
    );
    assert_eq!(
        snapshot(&db, dir.path()),
        before,
        "database changed by a killed import"
    );
    // And the database still takes writes.
    let small = dir.path().join("small.csv");
    write_csv(&small, (900_000..900_010).map(row), false);
    assert!(run(&db, &["import", "residents", small.to_str().unwrap()])
        .status
        .success());
}

/// WAL bytes that show the killed import had written its uncommitted rows to disk.
const SPILLED: u64 = 1 << 20;

/// The size of the WAL file (0 when there is none).
fn wal_size(wal: &Path) -> u64 {
    std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0)
}

#[test]
fn units_and_groups_import_and_export() {
    let (dir, db) = setup(5);
    let units = dir.path().join("units.csv");
    std::fs::write(&units, "name,address,contact,phone,jobs,notes\n外交部食堂,朝阳门南大街2号,孙师傅,65961114,招聘帮厨2名,\n").unwrap();
    assert!(run(&db, &["import", "units", units.to_str().unwrap()])
        .status
        .success());
    let groups = dir.path().join("groups.csv");
    std::fs::write(
        &groups,
        "group,household\n社区车主,T0000001\n社区车主,T0000002\n低保人员家庭,NOPE\n",
    )
    .unwrap();
    let out = run(&db, &["import", "groups", groups.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 4:"));
    std::fs::write(
        &groups,
        "group,household\n社区车主,T0000001\n社区车主,T0000002\n",
    )
    .unwrap();
    assert!(run(&db, &["import", "groups", groups.to_str().unwrap()])
        .status
        .success());
    let out = run(&db, &["export", "groups", "-"]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "group,household\n社区车主,T0000001\n社区车主,T0000002\n"
    );
    let out = run(&db, &["export", "units", "-"]);
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("外交部食堂,朝阳门南大街2号"));
}
