//! The residents' register over real HTTP (`docs/desk-protocol.md` §12): only admins may
//! import or export; a dry run of a GB18030 CSV with a bad row lists the row (line,
//! field, Chinese reason) and what would be added, and writes nothing; the same file
//! committed is refused whole; a good workbook is imported (audited); the export
//! downloads as `.xlsx` and imports back to the same data; bad parameters name their
//! field.

mod demo;
mod http;
use demo::demo_desk;
use http::{login, send, Answer};
use std::io::Cursor;
use std::net::SocketAddr;

use chrono::Utc;
use lianxin_store::{ImportFile, ImportFormat, ImportKind, ImportMode, ImportOptions, Store};

async fn upload(addr: SocketAddr, token: &str, query: &str, ctype: &str, file: &[u8]) -> Answer {
    send(
        addr,
        "POST",
        &format!("/api/import/households?{query}"),
        Some(token),
        ctype,
        file,
    )
    .await
}

/// A committee's CSV as Excel saves it on Chinese Windows: GB18030, Chinese headers.
/// `bad_dob` spoils line 3's date of birth.
fn gb18030_register(bad_dob: bool) -> Vec<u8> {
    let text = format!(
        "户号,街道,门牌号,住房类型,片区,家庭电话,姓名,性别,出生日期,手机\n\
         IM000001,南竹竿胡同,5,平房,第一片区,65139001,司马青云,女,1948/5/6,13700000001\n\
         IM000001,,,,,,欧阳建华,男,{},\n\
         IM000002,朝阳门北小街,9,楼房,第五片区,65139002,上官桂芳,女,19520101,\n",
        if bad_dob {
            "1951-02-30"
        } else {
            "1951年2月3日"
        }
    );
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(&text);
    assert!(!unmappable);
    bytes.into_owned()
}

/// The same register as a workbook (title row, header on row 2).
fn xlsx_register() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "住户名册").unwrap();
    let rows: [[&str; 10]; 4] = [
        [
            "户号",
            "街道",
            "门牌号",
            "住房类型",
            "片区",
            "家庭电话",
            "姓名",
            "性别",
            "出生日期",
            "手机",
        ],
        [
            "IM000001",
            "南竹竿胡同",
            "5",
            "平房",
            "第一片区",
            "65139001",
            "司马青云",
            "女",
            "1948-05-06",
            "13700000001",
        ],
        [
            "IM000001",
            "",
            "",
            "",
            "",
            "",
            "欧阳建华",
            "男",
            "1951-02-03",
            "",
        ],
        [
            "IM000002",
            "朝阳门北小街",
            "9",
            "楼房",
            "第五片区",
            "65139002",
            "上官桂芳",
            "女",
            "1952-01-01",
            "",
        ],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                sheet.write_string(r as u32 + 1, c as u16, *v).unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_preview_then_import_the_register_all_or_nothing() {
    let demo = demo_desk(9, 30, Utc::now()).await;
    let (store, desk) = (demo.store.clone(), &demo.desk);
    let addr = desk.local_addr();
    let export = |s: &Store| {
        let mut out = Vec::new();
        s.export_csv(ImportKind::Residents, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    };
    let before = export(&store);

    // Roles: only admins; no token at all is 401.
    for (user, pw) in [
        ("8001", "demo8001"),
        ("staff", "demo-staff"),
        ("super", "demo-super"),
        ("captain", "demo-captain"),
    ] {
        let t = login(addr, user, pw).await.0;
        let a = upload(
            addr,
            &t,
            "dry_run=true",
            "text/csv",
            &gb18030_register(false),
        )
        .await;
        assert_eq!(
            (a.status, a.json()["field"].as_str()),
            (403, Some("role")),
            "{user}"
        );
        let a = send(
            addr,
            "GET",
            "/api/export/households",
            Some(&t),
            "text/plain",
            b"",
        )
        .await;
        assert_eq!(
            (a.status, a.json()["field"].as_str()),
            (403, Some("role")),
            "{user}"
        );
    }
    let a = send(
        addr,
        "POST",
        "/api/import/households?dry_run=true",
        None,
        "text/csv",
        b"x",
    )
    .await;
    assert_eq!(a.status, 401);
    let admin = login(addr, "admin", "demo-admin").await.0;

    // A dry run of the GB18030 file with a bad row: the row, the counts, nothing written.
    let a = upload(
        addr,
        &admin,
        "dry_run=true&name=名册.csv",
        "text/csv",
        &gb18030_register(true),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.json());
    let v = a.json();
    let r = &v["report"];
    assert_eq!(r["read_as"], "csv-gb18030");
    assert_eq!(r["bad"].as_array().unwrap().len(), 1, "{v}");
    let bad = &r["bad"][0];
    assert_eq!(
        (
            bad["line"].as_u64(),
            bad["field"].as_str(),
            bad["column"].as_str()
        ),
        (Some(3), Some("dob"), Some("出生日期"))
    );
    assert!(
        bad["message"].as_str().unwrap().contains("1951-02-30"),
        "{bad}"
    );
    assert_eq!(
        (
            r["rows"].as_u64(),
            r["households"].as_u64(),
            r["residents"].as_u64(),
            r["phones"].as_u64()
        ),
        (Some(2), Some(2), Some(2), Some(3))
    );
    assert_eq!(export(&store), before, "a dry run wrote");

    // Committing it: refused whole, the row named, nothing written.
    let a = upload(
        addr,
        &admin,
        "dry_run=false&name=名册.csv",
        "text/csv",
        &gb18030_register(true),
    )
    .await;
    assert_eq!(a.status, 400);
    let v = a.json();
    assert_eq!(v["field"], "file");
    assert_eq!(v["bad"][0]["line"], 3, "{v}");
    assert_eq!(export(&store), before, "a refused import wrote");

    // The good workbook: preview, then import; audited.
    let audit = store.counts().unwrap().audit;
    let a = upload(
        addr,
        &admin,
        "dry_run=true&name=名册.xlsx",
        XLSX,
        &xlsx_register(),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.json());
    assert_eq!(a.json()["report"]["residents"], 3);
    assert_eq!(a.json()["report"]["read_as"], "xlsx");
    let a = upload(
        addr,
        &admin,
        "dry_run=false&name=名册.xlsx",
        "application/octet-stream",
        &xlsx_register(),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.json());
    let r = &a.json()["report"];
    assert_eq!(
        (
            r["households"].as_u64(),
            r["residents"].as_u64(),
            r["phones"].as_u64()
        ),
        (Some(2), Some(3), Some(3))
    );
    assert_eq!(store.counts().unwrap().audit, audit + 1);
    let hits = store.search_households("司马青云", 5).unwrap();
    assert_eq!(hits.len(), 1);
    // The GB18030 CSV holds the same people: importing it again finds them all there.
    let a = upload(
        addr,
        &admin,
        "dry_run=true",
        "text/csv",
        &gb18030_register(false),
    )
    .await;
    let v = a.json();
    assert_eq!(v["report"]["bad"].as_array().unwrap().len(), 3, "{v}");
    assert_eq!(v["report"]["bad"][0]["field"], "name");

    // Bad parameters name their field.
    for (query, ctype, body, field) in [
        ("name=a.csv", "text/csv", gb18030_register(false), "dry_run"),
        (
            "dry_run=maybe",
            "text/csv",
            gb18030_register(false),
            "dry_run",
        ),
        (
            "dry_run=true&format=pdf",
            "text/csv",
            gb18030_register(false),
            "format",
        ),
        ("dry_run=true", "text/csv", Vec::new(), "file"),
        ("dry_run=true&sheet=第二页", XLSX, xlsx_register(), "sheet"),
        (
            "dry_run=true&format=csv",
            "text/csv",
            xlsx_register(),
            "format",
        ),
        (
            "dry_run=true",
            "text/csv",
            b"\xd0\xcf\x11\xe0old excel".to_vec(),
            "file",
        ),
        (
            "dry_run=true",
            "text/csv",
            "姓名,街道\n张三,内务部街\n".as_bytes().to_vec(),
            "file",
        ),
    ] {
        let a = upload(addr, &admin, query, ctype, &body).await;
        let v = a.json();
        assert_eq!(
            (a.status, v["field"].as_str()),
            (400, Some(field)),
            "{query}: {v}"
        );
        assert!(!v["error"].as_str().unwrap_or("").is_empty());
    }
    let a = upload(
        addr,
        &admin,
        "dry_run=true",
        "text/csv",
        &vec![b'a'; 17 * 1024 * 1024],
    )
    .await;
    assert_eq!((a.status, a.json()["field"].as_str()), (413, Some("file")));

    // The export downloads as a workbook that imports back to the same data.
    let a = send(
        addr,
        "GET",
        "/api/export/households",
        Some(&admin),
        "text/plain",
        b"",
    )
    .await;
    assert_eq!(a.status, 200);
    assert!(
        a.head
            .to_ascii_lowercase()
            .contains(&format!("content-type: {XLSX}")),
        "{}",
        a.head
    );
    assert!(a.head.contains("attachment"), "{}", a.head);
    assert!(a.body.starts_with(b"PK\x03\x04"));
    let other = Store::open(demo.tmp.path().join("other.db")).unwrap();
    other
        .import_file(
            ImportKind::Residents,
            ImportFile {
                input: Cursor::new(a.body.clone()),
                format: ImportFormat::Xlsx,
                sheet: None,
            },
            &ImportOptions::default(),
            ImportMode::Commit,
            &mut |_| {},
        )
        .unwrap();
    assert_eq!(export(&other), export(&store));
    let a = send(
        addr,
        "GET",
        "/api/export/households?format=csv",
        Some(&admin),
        "text/plain",
        b"",
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(String::from_utf8(a.body).unwrap(), export(&store));
    let a = send(
        addr,
        "GET",
        "/api/export/households?format=pdf",
        Some(&admin),
        "text/plain",
        b"",
    )
    .await;
    assert_eq!(
        (a.status, a.json()["field"].as_str()),
        (400, Some("format"))
    );
}
