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

/// The fields of `row(i)` (English column order).
fn fields(i: u64) -> Vec<String> {
    row(i).trim_end().split(',').map(str::to_string).collect()
}

/// Chinese headers in another order: name first, the household code second.
const CHINESE_ORDER: [(usize, &str); 17] = [
    (10, "姓名"),
    (0, "户号"),
    (1, "街道"),
    (2, "门牌号"),
    (3, "楼号"),
    (4, "单元"),
    (5, "室"),
    (6, "住房类型"),
    (7, "片区"),
    (8, "户备注"),
    (9, "家庭电话"),
    (11, "性别"),
    (12, "出生日期"),
    (13, "工作单位"),
    (14, "特长"),
    (15, "备注"),
    (16, "手机"),
];

/// Rows `ids` as Excel saves CSV on Chinese Windows: GB18030, Chinese headers, dates as
/// `1956/3/2`; `bad` replaces one row's date of birth.
fn write_gb18030(path: &Path, ids: impl Iterator<Item = u64>, bad: Option<(u64, &str)>) {
    let mut text = CHINESE_ORDER
        .iter()
        .map(|(_, h)| *h)
        .collect::<Vec<_>>()
        .join(",");
    text.push('\n');
    for i in ids {
        let mut f = fields(i);
        let (y, m, d) = {
            let p: Vec<&str> = f[12].split('-').collect();
            (p[0].to_string(), p[1].to_string(), p[2].to_string())
        };
        f[12] = format!(
            "{y}/{}/{}",
            m.trim_start_matches('0'),
            d.trim_start_matches('0')
        );
        if let Some((b, dob)) = bad {
            if b == i {
                f[12] = dob.to_string();
            }
        }
        let cells: Vec<&str> = CHINESE_ORDER.iter().map(|(c, _)| f[*c].as_str()).collect();
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(&text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&bytes).is_err(), "GB18030, not UTF-8");
    std::fs::write(path, bytes).unwrap();
}

/// Rows `ids` as a clerk's workbook: a title row, the Chinese header on row 3, numbers
/// typed as numbers, dates as date cells; `bad` puts an invalid mobile on one row.
fn write_xlsx(path: &Path, ids: impl Iterator<Item = u64>, bad: Option<u64>) {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "朝阳门社区住户名册").unwrap();
    for (c, (_, h)) in CHINESE_ORDER.iter().enumerate() {
        sheet.write_string(2, c as u16, *h).unwrap();
    }
    let date = Format::new().set_num_format("yyyy\"年\"m\"月\"d\"日\"");
    for (r, i) in ids.enumerate() {
        let r = r as u32 + 3;
        let f = fields(i);
        for (c, (field, _)) in CHINESE_ORDER.iter().enumerate() {
            let c = c as u16;
            let v = &f[*field];
            match *field {
                _ if v.is_empty() => {}
                2 | 3 | 4 | 16 => {
                    let v = if *field == 16 && bad == Some(i) {
                        "1391234"
                    } else {
                        v
                    };
                    sheet.write_number(r, c, v.parse::<f64>().unwrap()).unwrap();
                }
                12 => {
                    let p: Vec<u16> = v.split('-').map(|x| x.parse().unwrap()).collect();
                    let d = ExcelDateTime::from_ymd(p[0], p[1] as u8, p[2] as u8).unwrap();
                    sheet.write_datetime_with_format(r, c, &d, &date).unwrap();
                }
                _ => {
                    sheet.write_string(r, c, v).unwrap();
                }
            }
        }
    }
    book.save(path).unwrap();
}

fn fresh_db(dir: &Path, name: &str) -> PathBuf {
    let db = dir.join(name);
    assert!(run(&db, &["db", "init"]).status.success());
    db
}

fn import_ok(db: &Path, file: &Path) -> String {
    let out = run(db, &["import", "residents", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn gb18030_csv_and_xlsx_with_chinese_headers_import_the_same_data_as_the_utf8_csv() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let utf8 = d.join("register.csv");
    write_csv(&utf8, (1..=40).map(row), false);
    let gb = d.join("register-gb.csv");
    write_gb18030(&gb, 1..=40, None);
    let xlsx = d.join("register.xlsx");
    write_xlsx(&xlsx, 1..=40, None);

    let a = fresh_db(d, "a.db");
    assert!(import_ok(&a, &utf8).contains("(csv-utf8)"));
    let want = snapshot(&a, d);
    assert!(want.0.contains("\"residents\": 40"), "{}", want.0);

    let b = fresh_db(d, "b.db");
    assert!(import_ok(&b, &gb).contains("(csv-gb18030)"));
    assert_eq!(snapshot(&b, d), want, "GB18030 CSV with Chinese headers");

    let c = fresh_db(d, "c.db");
    assert!(import_ok(&c, &xlsx).contains("(xlsx)"));
    assert_eq!(snapshot(&c, d), want, "xlsx register");
}

#[test]
fn a_bad_row_in_a_workbook_or_gb18030_csv_changes_nothing_and_is_named() {
    let (dir, db) = setup(10);
    let d = dir.path();
    let before = snapshot(&db, d);
    // Sheet rows: title 1, header 3, data from 4; household 1005 is the 5th → row 8.
    let xlsx = d.join("bad.xlsx");
    write_xlsx(&xlsx, 1001..=1020, Some(1005));
    let out = run(&db, &["import", "residents", xlsx.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 8:") && err.contains("1391234"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(snapshot(&db, d), before, "database changed");

    // GB18030: header line 1, household 1012 on line 13.
    let gb = d.join("bad.csv");
    write_gb18030(&gb, 1001..=1020, Some((1012, "1970-02-30")));
    let out = run(&db, &["import", "residents", gb.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 13:") && err.contains("1970-02-30"),
        "{err}"
    );
    assert_eq!(snapshot(&db, d), before, "database changed");

    // --dry-run lists the same row and writes nothing either.
    let out = run(
        &db,
        &["import", "residents", gb.to_str().unwrap(), "--dry-run"],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 13:"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("would import 19 rows"));
    assert_eq!(snapshot(&db, d), before, "database changed by a dry run");
}

#[test]
fn the_xlsx_export_imports_back_to_the_same_data() {
    let (dir, db) = setup(30);
    let d = dir.path();
    let want = snapshot(&db, d);
    let xlsx = d.join("export.xlsx");
    let out = run(&db, &["export", "residents", xlsx.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK\x03\x04"));
    let again = fresh_db(d, "again.db");
    import_ok(&again, &xlsx);
    assert_eq!(snapshot(&again, d), want);
}
