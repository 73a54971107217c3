//! The committee's own files (issue 12): a register kept in Excel (`.xlsx`) and a CSV
//! saved by Excel on Chinese Windows (GB18030) with Chinese headers import exactly the
//! same data as the English UTF-8 CSV; a bad row in them is named by the line (the
//! sheet's row number) and changes nothing; a dry run writes nothing and says what it
//! would add; the workbook export imports back to the same data.

use std::io::Cursor;

use encoding_rs::GB18030;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

use crate::import::{ImportFile, ImportFormat, ImportKind, ImportMode, ImportOptions};
use crate::*;

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(dir.path().join("t.db")).unwrap();
    (dir, s)
}

fn opts() -> ImportOptions {
    ImportOptions {
        skip_bad: false,
        staff_id: None,
        source: "test".into(),
    }
}

/// The register as the English UTF-8 CSV.
const ENGLISH: &str = "household,street,number,building,unit,room,dwelling,block,household_notes,home_phones,name,sex,dob,work,skills,notes,mobiles
NW000000,内务部街,27,,,,平房,第一片区,独院,65123456,范先翔,女,1982-09-10,外交部食堂帮厨,烹饪,,13912345678
NW000000,,,,,,,,,,陈志刚,男,1979-11-02,出租车司机,象棋,,13501234567
NW000100,朝阳门北小街,8,3,2,501,楼房,第五片区,,010-6512 7788,王伟,男,1956-03-02,退休,书法,腿脚不便,
";

/// The same register with Chinese headers, other column order, other spellings
/// (dates, 男性, two phone columns), a title row above the header and a blank row.
const CHINESE: &str = "朝阳门社区住户名册（2026年）
姓 名,户号,街道,门牌号,楼号,单元,室,住房类型,片区,户备注,家庭电话,性别,出生日期,工作单位,特长,备注,手机,联系电话
范先翔,NW000000,内务部街,27,,,,平房,第一片区,独院,65123456,女,1982/9/10,外交部食堂帮厨,烹饪,,13912345678,
陈志刚,NW000000,,,,,,,,,,男性,19791102,出租车司机,象棋,,,13501234567
,,,,,,,,,,,,,,,,,
王伟,NW000100,朝阳门北小街,8,3,2,501,楼房,第五片区,,010-6512 7788,男,1956年3月2日,退休,书法,腿脚不便,,
";

fn gb18030(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = GB18030.encode(text);
    assert!(!unmappable);
    let bytes = bytes.into_owned();
    assert!(std::str::from_utf8(&bytes).is_err(), "really not UTF-8");
    bytes
}

/// The register as a clerk's workbook: a title row, Chinese headers, numbers typed as
/// numbers, dates as date cells (and one as a plain serial number).
fn workbook(bad_phone_on_row: Option<u32>) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("名册").unwrap();
    sheet.write_string(0, 0, "朝阳门社区住户名册").unwrap();
    let header = [
        "户号",
        "街道",
        "门牌号",
        "楼号",
        "单元",
        "室",
        "住房类型",
        "片区",
        "户备注",
        "家庭电话",
        "姓名",
        "性别",
        "出生日期",
        "工作单位",
        "特长",
        "备注",
        "手机",
    ];
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(2, c as u16, *h).unwrap();
    }
    let date = Format::new().set_num_format("yyyy-mm-dd");
    // Row 4 in Excel (index 3).
    let r = 3;
    for (c, v) in [
        (0, "NW000000"),
        (1, "内务部街"),
        (6, "平房"),
        (7, "第一片区"),
        (8, "独院"),
    ] {
        sheet.write_string(r, c, v).unwrap();
    }
    sheet.write_number(r, 2, 27).unwrap();
    sheet.write_number(r, 9, 65123456).unwrap();
    for (c, v) in [
        (10, "范先翔"),
        (11, "女"),
        (13, "外交部食堂帮厨"),
        (14, "烹饪"),
    ] {
        sheet.write_string(r, c, v).unwrap();
    }
    let d = ExcelDateTime::from_ymd(1982, 9, 10).unwrap();
    sheet.write_datetime_with_format(r, 12, &d, &date).unwrap();
    sheet.write_number(r, 16, 13912345678.0).unwrap();
    let r = 4;
    sheet.write_string(r, 0, "NW000000").unwrap();
    for (c, v) in [(10, "陈志刚"), (11, "男"), (13, "出租车司机"), (14, "象棋")] {
        sheet.write_string(r, c, v).unwrap();
    }
    let d = ExcelDateTime::from_ymd(1979, 11, 2).unwrap();
    sheet.write_datetime_with_format(r, 12, &d, &date).unwrap();
    sheet.write_string(r, 16, "13501234567").unwrap();
    let r = 5;
    for (c, v) in [
        (0, "NW000100"),
        (1, "朝阳门北小街"),
        (5, "501"),
        (6, "楼房"),
        (7, "第五片区"),
        (9, "010-6512 7788"),
        (10, "王伟"),
        (11, "男"),
        (13, "退休"),
        (14, "书法"),
        (15, "腿脚不便"),
    ] {
        sheet.write_string(r, c, v).unwrap();
    }
    sheet.write_number(r, 2, 8).unwrap();
    sheet.write_number(r, 3, 3).unwrap();
    sheet.write_number(r, 4, 2).unwrap();
    // 1956-03-02 as the bare serial number Excel shows when the format is lost.
    sheet.write_number(r, 12, 20516).unwrap();
    if let Some(row) = bad_phone_on_row {
        sheet.write_string(row - 1, 0, "NW000200").unwrap();
        sheet.write_string(row - 1, 1, "南竹竿胡同").unwrap();
        sheet.write_string(row - 1, 6, "平房").unwrap();
        sheet.write_string(row - 1, 10, "赵六").unwrap();
        sheet.write_string(row - 1, 11, "女").unwrap();
        sheet.write_string(row - 1, 16, "1391234").unwrap();
    }
    book.save_to_buffer().unwrap()
}

fn import_file(
    s: &Store,
    bytes: Vec<u8>,
    format: ImportFormat,
    mode: ImportMode,
) -> Result<ImportReport> {
    s.import_file(
        ImportKind::Residents,
        ImportFile {
            input: Cursor::new(bytes),
            format,
            sheet: None,
        },
        &opts(),
        mode,
        &mut |_| {},
    )
}

/// Everything the import wrote, as the English CSV export (households, people, numbers,
/// blocks, addresses, dates) plus the raw table counts.
fn content(s: &Store) -> (String, Counts) {
    let mut out = Vec::new();
    s.export_csv(ImportKind::Residents, &mut out).unwrap();
    let mut c = s.counts().unwrap();
    c.audit = 0;
    (String::from_utf8(out).unwrap(), c)
}

#[test]
fn xlsx_and_gb18030_registers_import_the_same_data_as_the_utf8_csv() {
    let (_a, english) = store();
    let r = english
        .import_csv(
            ImportKind::Residents,
            ENGLISH.as_bytes(),
            &opts(),
            &mut |_| {},
        )
        .unwrap();
    assert_eq!((r.households, r.residents, r.phones), (2, 3, 4));
    assert_eq!(r.read_as, "csv-utf8");
    let want = content(&english);
    assert!(want.0.contains("1956-03-02"), "{}", want.0);

    let (_b, gb) = store();
    let r = gb
        .import_csv(
            ImportKind::Residents,
            gb18030(CHINESE).as_slice(),
            &opts(),
            &mut |_| {},
        )
        .unwrap();
    assert_eq!(r.read_as, "csv-gb18030");
    assert_eq!(content(&gb), want, "GB18030 CSV with Chinese headers");

    let (_c, xl) = store();
    let r = import_file(&xl, workbook(None), ImportFormat::Xlsx, ImportMode::Commit).unwrap();
    assert_eq!(r.read_as, "xlsx");
    assert_eq!(content(&xl), want, "xlsx register");
}

#[test]
fn a_bad_row_in_a_workbook_is_named_by_its_sheet_row_and_changes_nothing() {
    let (_d, s) = store();
    let other = format!(
        "{}\nNW000900,南竹竿胡同,3,,,,平房,,,65130000,李四,男,1960-01-01,,,,\n",
        ENGLISH.lines().next().unwrap()
    );
    s.import_csv(
        ImportKind::Residents,
        other.as_bytes(),
        &opts(),
        &mut |_| {},
    )
    .unwrap();
    let before = content(&s);
    match import_file(
        &s,
        workbook(Some(9)),
        ImportFormat::Xlsx,
        ImportMode::Commit,
    ) {
        Err(StoreError::ImportRejected(bad)) => {
            assert_eq!(bad.len(), 1, "{bad:?}");
            assert_eq!(bad[0].line, 9);
            assert_eq!(bad[0].field.as_deref(), Some("mobiles"));
            assert_eq!(bad[0].column.as_deref(), Some("手机"));
            assert!(bad[0].message.contains("1391234"), "{}", bad[0].message);
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(content(&s), before);
}

#[test]
fn a_dry_run_reports_what_it_would_add_and_writes_nothing() {
    let (_d, s) = store();
    // The household is known, with its landline but nobody in it yet.
    let known = format!(
        "{}\nNW000000,内务部街,27,,,,平房,第一片区,独院,65123456,,,,,,,\n",
        ENGLISH.lines().next().unwrap()
    );
    s.import_csv(
        ImportKind::Residents,
        known.as_bytes(),
        &opts(),
        &mut |_| {},
    )
    .unwrap();
    let before = s.counts().unwrap();
    // GB18030 with a bad date on line 4 (the title is line 1).
    let text = CHINESE.replace("19791102", "1979-02-30");
    let r = import_file(&s, gb18030(&text), ImportFormat::Csv, ImportMode::DryRun).unwrap();
    assert_eq!(s.counts().unwrap(), before, "a dry run writes nothing");
    assert_eq!(r.bad.len(), 1);
    assert_eq!((r.bad[0].line, r.bad[0].field.as_deref()), (4, Some("dob")));
    assert_eq!(r.bad[0].column.as_deref(), Some("出生日期"));
    assert!(r.bad[0].message.contains("1979-02-30"));
    // 范先翔 joins the known household (its landline is not new); 王伟's is new.
    assert_eq!(
        (
            r.rows,
            r.households,
            r.households_changed,
            r.residents,
            r.phones
        ),
        (2, 1, 1, 2, 2)
    );
    let good = import_file(&s, gb18030(CHINESE), ImportFormat::Csv, ImportMode::DryRun).unwrap();
    assert_eq!(
        (
            good.rows,
            good.households,
            good.households_changed,
            good.residents,
            good.phones
        ),
        (3, 1, 1, 3, 3)
    );
    assert!(good.bad.is_empty());
}

#[test]
fn the_workbook_export_imports_back_to_the_same_data() {
    let (_d, s) = store();
    s.generate_demo(
        &crate::demo::DemoOptions {
            seed: 5,
            households: 40,
            now: chrono::Utc::now(),
        },
        &mut |_| {},
    )
    .unwrap();
    let (_e, t) = store();
    for kind in [ImportKind::Residents, ImportKind::Units, ImportKind::Groups] {
        let (bytes, n) = s.export_xlsx(kind).unwrap();
        assert!(n > 0, "{kind:?}");
        let r = t
            .import_file(
                kind,
                ImportFile {
                    input: Cursor::new(bytes),
                    format: ImportFormat::Xlsx,
                    sheet: None,
                },
                &opts(),
                ImportMode::Commit,
                &mut |_| {},
            )
            .unwrap();
        assert_eq!(r.rows, n, "{kind:?}");
        let (mut a, mut b) = (Vec::new(), Vec::new());
        s.export_csv(kind, &mut a).unwrap();
        t.export_csv(kind, &mut b).unwrap();
        assert_eq!(
            String::from_utf8(a).unwrap(),
            String::from_utf8(b).unwrap(),
            "{kind:?}"
        );
    }
}

#[test]
fn files_that_are_not_registers_are_refused_with_advice() {
    let (_d, s) = store();
    let refused = |bytes: Vec<u8>, format| match import_file(&s, bytes, format, ImportMode::DryRun)
    {
        Err(StoreError::ImportFile(e)) => e,
        other => panic!("expected a file error, got {other:?}"),
    };
    let e = refused(b"\xd0\xcf\x11\xe0rest".to_vec(), ImportFormat::Csv);
    assert!(e.message.contains(".xlsx"), "{e:?}");
    let e = refused(workbook(None), ImportFormat::Csv);
    assert_eq!(e.field, "format");
    let e = refused(b"not a zip".to_vec(), ImportFormat::Xlsx);
    assert_eq!(e.field, "file");
    let e = refused(
        "姓名,街道\n张三,内务部街\n".as_bytes().to_vec(),
        ImportFormat::Csv,
    );
    assert_eq!(e.field, "household");
    assert!(e.message.contains("户号"), "{e:?}");
}
