//! The desk console in a real browser (issue 12): headless Chromium driven over WebDriver
//! against `lianxin serve --demo` on 127.0.0.1, with sipp as callers and as the trunk's
//! households. Each test starts its own server and browser; every wait is bounded; each
//! ends by checking the browser logged no error (and so loaded nothing from another
//! host). The harness is in `browser/`.

mod browser;
mod support;

use browser::{Browser, Server};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_logs_in_and_out() {
    let server = Server::start();
    let b = Browser::open(&server.url(), 1366, 768).await;
    b.login("8001", "demo8001").await;
    assert!(b.text("#who").await.contains("于燕妮"));
    b.screenshot("operator-1366").await;
    // The page's files come embedded, each with its content type, and a favicon.
    let types = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             Promise.all(['/assets/console.css', '/assets/js/main.js', '/favicon.ico', '/assets/nope.js']
               .map((p) => fetch(p).then((r) => r.status + ' ' + r.headers.get('content-type'))))
               .then(done);",
            vec![],
        )
        .await
        .expect("fetch assets");
    assert_eq!(
        types,
        serde_json::json!([
            "200 text/css; charset=utf-8",
            "200 text/javascript; charset=utf-8",
            "200 image/svg+xml",
            "404 application/json"
        ])
    );
    b.click("#logout").await;
    b.until(
        "the log-in form after 退出",
        "!document.querySelector('#login').hidden",
    )
    .await;
    b.finish(&["nope.js"]).await;
}
