//! The admin's register import in a real browser (issue 12, "住户名册导入"): a GB18030
//! CSV with Chinese headers and a bad row is previewed — the row is shown by its line
//! with the column and the reason, and nothing is written; the corrected file is
//! previewed, confirmed and imported, with the counts shown; the register downloads as
//! Excel. Screenshots at 1366×768 and 375 px. The harness is in `browser/`.

mod browser;
mod support;

use std::path::Path;

use browser::{Browser, Server};
use fantoccini::Locator;
use serde_json::Value;
use support::http_get;

/// The committee's CSV as Excel saves it on Chinese Windows, household codes starting
/// with `code`; `bad` spoils line 3's date.
fn register(path: &Path, bad: bool, code: &str) {
    let text = format!(
        "户号,街道,门牌号,住房类型,片区,家庭电话,姓名,性别,出生日期,手机\n\
         {code}000001,南竹竿胡同,5,平房,第一片区,65139001,司马青云,女,1948/5/6,13700000001\n\
         {code}000001,,,,,,欧阳建华,男,{},\n\
         {code}000002,朝阳门北小街,9,楼房,第五片区,65139002,上官桂芳,女,19520101,\n",
        if bad { "1951-02-30" } else { "1951年2月3日" }
    );
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(&text);
    assert!(!unmappable);
    std::fs::write(path, bytes).expect("write the register");
}

/// How many households a search for `name` finds (over the API, as admin).
fn found(server: &Server, token: &str, name: &str) -> usize {
    let q: String = name.bytes().map(|b| format!("%{b:02X}")).collect();
    let (status, body) = http_get(
        server.http,
        &format!("/api/households/search?q={q}"),
        Some(token),
    );
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).expect("search json");
    v["households"].as_array().map_or(0, Vec::len)
}

async fn choose(b: &Browser, file: &Path) {
    let input = b
        .client
        .find(Locator::Css("#import-file"))
        .await
        .expect("the file input");
    input
        .send_keys(&file.display().to_string())
        .await
        .expect("choose the file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_previews_a_gb18030_register_with_a_bad_row_then_imports_the_good_one() {
    let server = Server::start();
    let token = server.token("admin", "demo-admin");
    let b = Browser::open(&server.url(), 1366, 768).await;
    b.login_and_open("admin", "demo-admin", "import-screen")
        .await;
    b.until(
        "the import screen",
        "!document.querySelector('#import-screen').hidden",
    )
    .await;

    // The file with a bad row: shown by its line, column and reason; nothing written.
    let bad = server.dir.path().join("名册-有错.csv");
    register(&bad, true, "BR");
    choose(&b, &bad).await;
    b.click("#import-preview").await;
    b.until(
        "the bad row in the preview",
        "document.querySelector('#import-bad tr[data-line=\"3\"]')",
    )
    .await;
    let row = b.text("#import-bad tr[data-line=\"3\"]").await;
    assert!(
        row.contains("第 3 行") && row.contains("出生日期") && row.contains("1951-02-30"),
        "{row}"
    );
    assert!(b.text("#import-result").await.contains("GB18030"));
    assert!(
        !b.visible("#import-confirm").await,
        "a file with a bad row cannot be imported"
    );
    b.screenshot("import-bad-row-1366").await;
    assert_eq!(found(&server, &token, "司马青云"), 0, "the preview wrote");

    // The corrected file: counts, confirm, imported.
    let good = server.dir.path().join("名册.csv");
    register(&good, false, "BR");
    choose(&b, &good).await;
    b.click("#import-preview").await;
    b.until(
        "the confirm button after a clean preview",
        "!document.querySelector('#import-confirm').hidden",
    )
    .await;
    let counts = b.text("#import-counts").await;
    assert!(
        counts.contains("新增住户 2 户")
            && counts.contains("新增居民 3 人")
            && counts.contains("新增电话号码 3 个"),
        "{counts}"
    );
    assert_eq!(found(&server, &token, "司马青云"), 0, "the preview wrote");
    b.click("#import-confirm").await;
    b.until(
        "the import's result",
        "document.querySelector('#import-done')",
    )
    .await;
    let done = b.text("#import-done").await;
    assert!(
        done.contains("已导入") && done.contains("新增住户 2 户"),
        "{done}"
    );
    assert_eq!(found(&server, &token, "司马青云"), 1);
    assert_eq!(found(&server, &token, "上官桂芳"), 1);
    b.screenshot("import-done-1366").await;

    // The register downloads as Excel (fetched with the header, saved as a blob).
    b.click("#import-export").await;
    b.until(
        "the export's confirmation",
        "document.querySelector('#import-export-status').textContent.includes('.xlsx')",
    )
    .await;
    b.finish(&[]).await;

    // On a phone.
    let p = Browser::open(&server.url(), 375, 740).await;
    p.login("admin", "demo-admin").await;
    p.click("#tabs button[data-screen=import-screen]").await;
    // Other households (the first file's are in now): one bad row, counts beside it.
    let other = server.dir.path().join("名册-二.csv");
    register(&other, true, "BP");
    choose(&p, &other).await;
    p.click("#import-preview").await;
    p.until(
        "the bad row on a phone",
        "document.querySelector('#import-bad tr[data-line=\"3\"]')",
    )
    .await;
    let fits = p
        .js(
            "return document.documentElement.scrollWidth <= window.innerWidth + 1;",
            vec![],
        )
        .await;
    assert_eq!(
        fits,
        Value::Bool(true),
        "the import screen scrolls sideways at 375 px"
    );
    p.screenshot("import-bad-row-375").await;
    p.finish(&[]).await;
}
