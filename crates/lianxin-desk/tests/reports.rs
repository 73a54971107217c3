//! The statistics endpoints over real HTTP on the demo community (`docs/desk-protocol.md`
//! §11): the JSON equals the store's report, a captain gets their blocks' figures only,
//! an operator is refused, bad dates and groupings are 400s naming the field; resident
//! units found by jobs and number (`GET /api/units`).

mod demo;
mod http;
use demo::demo_desk;
use http::{login, request};
use std::net::SocketAddr;

use chrono::{NaiveDate, TimeZone, Utc};
use lianxin_store::{Period, RequestBy};
use serde_json::Value;

async fn get(addr: SocketAddr, path: &str, token: &str) -> (u16, Value) {
    request(addr, "GET", path, Some(token), Vec::new()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_match_the_store_and_are_role_checked() {
    let now = Utc.with_ymd_and_hms(2026, 6, 1, 2, 0, 0).unwrap();
    let demo = demo_desk(7, 120, now).await;
    let (store, desk) = (demo.store.clone(), &demo.desk);
    let addr = desk.local_addr();
    let period = Period::new(
        NaiveDate::from_ymd_opt(2023, 6, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
    )
    .unwrap();
    let q = "from=2023-06-01&to=2026-06-01";

    let (sup, _) = login(addr, "super", "demo-super").await;
    for by in RequestBy::ALL {
        let (status, v) = get(
            addr,
            &format!("/api/reports/requests?{q}&by={}", by.as_str()),
            &sup,
        )
        .await;
        assert_eq!(status, 200, "{v}");
        let want = serde_json::to_value(store.request_report(period, by, None).unwrap()).unwrap();
        assert_eq!(v["report"], want, "{by:?}");
        assert!(v["report"]["total"]["count"].as_i64().unwrap() > 0);
    }
    let (status, v) = get(addr, &format!("/api/reports/population?{q}"), &sup).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["report"],
        serde_json::to_value(store.population_report(period, None).unwrap()).unwrap()
    );
    let (status, v) = get(addr, &format!("/api/reports/visits?{q}"), &sup).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["report"],
        serde_json::to_value(store.visit_report(period, None).unwrap()).unwrap(),
        "the demo's home visits"
    );
    assert!(v["report"]["total"].as_i64().unwrap() > 0);

    // A captain: their blocks only.
    let (cap, cap_id) = login(addr, "captain", "demo-captain").await;
    let (status, v) = get(addr, &format!("/api/reports/requests?{q}&by=block"), &cap).await;
    assert_eq!(status, 200, "{v}");
    let want = store
        .request_report(period, RequestBy::Block, Some(cap_id))
        .unwrap();
    assert_eq!(v["report"], serde_json::to_value(&want).unwrap());
    let all = store
        .request_report(period, RequestBy::Block, None)
        .unwrap();
    assert!(want.total.count < all.total.count);
    let (status, v) = get(addr, &format!("/api/reports/population?{q}"), &cap).await;
    assert_eq!(status, 200, "{v}");
    assert!(
        v["report"]["total"]["households"].as_i64().unwrap()
            < store
                .population_report(period, None)
                .unwrap()
                .total
                .households
    );

    // An operator is refused; bad input names the field.
    let (op, _) = login(addr, "8001", "demo8001").await;
    let (status, v) = get(addr, &format!("/api/reports/requests?{q}"), &op).await;
    assert_eq!((status, v["field"].as_str()), (403, Some("role")), "{v}");
    for (path, field) in [
        ("/api/reports/requests?to=2026-06-01", "from"),
        (
            "/api/reports/requests?from=2026-13-01&to=2026-06-01",
            "from",
        ),
        ("/api/reports/requests?from=2026-06-02&to=2026-06-01", "to"),
        (
            "/api/reports/requests?from=2026-06-01&to=2026-06-01&by=colour",
            "by",
        ),
    ] {
        let (status, v) = get(addr, path, &sup).await;
        assert_eq!(
            (status, v["field"].as_str()),
            (400, Some(field)),
            "{path}: {v}"
        );
    }
    let (status, _) = request(addr, "GET", "/api/reports/visits", None, Vec::new()).await;
    assert_eq!(status, 401);

    // Resident units: every role, by jobs, name or number.
    let (status, v) = get(addr, "/api/units?q=%E6%8B%9B%E8%81%98", &op).await; // 招聘
    assert_eq!(status, 200, "{v}");
    let units = v["units"].as_array().unwrap();
    assert!(units.len() > 3, "{v}");
    assert!(units
        .iter()
        .all(|u| u["jobs"].as_str().unwrap().contains("招聘")));
    let (status, v) = get(addr, "/api/units?q=65138800", &cap).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["units"][0]["name"], "物美超市朝阳门店");
    assert_eq!(v["units"][0]["address"], "朝阳门南小街88号");
    let (status, v) = get(addr, "/api/units?q=x&limit=0", &op).await;
    assert_eq!((status, v["field"].as_str()), (400, Some("limit")), "{v}");
    let (status, _) = request(addr, "GET", "/api/units", None, Vec::new()).await;
    assert_eq!(status, 401);

    // The printable task sheet of a closed demo request with feedback.
    let r = store
        .list_requests(
            &lianxin_store::RequestFilter {
                limit: 500,
                ..Default::default()
            },
            now,
        )
        .unwrap()
        .into_iter()
        .find(|r| r.feedback_result.is_some())
        .expect("a request with feedback");
    let html = sheet(addr, r.id, &sup).await;
    assert!(
        html.starts_with("<!DOCTYPE html>") && html.contains("size:A4"),
        "{html}"
    );
    assert!(html.contains("任务单") && html.contains(&format!("第 {} 号", r.id)));
    assert!(html.contains("回访反馈") && html.contains("办理经过"));
    assert!(html.contains(&r.content));
    let (status, v) = get(addr, "/api/requests/999999/sheet", &sup).await;
    assert_eq!((status, v["field"].as_str()), (404, Some("id")), "{v}");
}

async fn sheet(addr: SocketAddr, id: i64, token: &str) -> String {
    let a = http::send(
        addr,
        "GET",
        &format!("/api/requests/{id}/sheet"),
        Some(token),
        "application/json",
        &[],
    )
    .await;
    let head = a.head;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/html; charset=utf-8"),
        "{head}"
    );
    String::from_utf8(a.body).unwrap()
}
