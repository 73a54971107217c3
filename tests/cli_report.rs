//! `lianxin report` against a demo database (issue 11): CSV with one row per group and a
//! `count` column equal to the store's figures (themselves checked against direct SQL
//! in the store's tests), every request counted once over the whole history, population
//! by block and by phone group, bad arguments refused; `lianxin search --units`.

mod support;

use support::{lianxin as run, lianxin_ok as ok};

use chrono::NaiveDate;
use lianxin_store::{Period, RequestBy, Store};

/// CSV rows as (first column, count).
fn csv_counts(text: &str, first: &str) -> Vec<(String, i64)> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(&header[..2], &[first, "count"], "{text}");
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[0].to_owned(), cells[1].parse().unwrap())
        })
        .collect()
}

#[test]
fn reports_as_csv_equal_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    ok(&db, &["demo-data", "--households", "40", "--seed", "4"]);
    let store = Store::open(&db).unwrap();
    let all = store.counts().unwrap().requests as i64;
    let (from, to) = ("2000-01-01", "2099-12-31");
    let period = Period::new(
        NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2099, 12, 31).unwrap(),
    )
    .unwrap();
    for by in RequestBy::ALL {
        let out = ok(
            &db,
            &[
                "report",
                "requests",
                "--from",
                from,
                "--to",
                to,
                "--by",
                by.as_str(),
                "--csv",
            ],
        );
        let rows = csv_counts(&out, by.as_str());
        assert_eq!(rows.iter().map(|r| r.1).sum::<i64>(), all, "{by:?}: {out}");
        let want: Vec<(String, i64)> = store
            .request_report(period, by, None)
            .unwrap()
            .groups
            .into_iter()
            .map(|g| (g.group, g.count))
            .collect();
        assert_eq!(rows, want, "{by:?}");
    }
    // The table ends with the total; JSON is the store's report.
    let table = ok(&db, &["report", "requests", "--from", from, "--to", to]);
    assert!(table.lines().last().unwrap().starts_with("全部"), "{table}");
    let json: serde_json::Value = serde_json::from_str(&ok(
        &db,
        &["report", "requests", "--from", from, "--to", to, "--json"],
    ))
    .unwrap();
    assert_eq!(json["total"]["count"], all);

    let pop = store.population_report(period, None).unwrap();
    let blocks = csv_counts(
        &ok(
            &db,
            &["report", "population", "--from", from, "--to", to, "--csv"],
        ),
        "block",
    );
    assert_eq!(
        blocks.iter().map(|r| r.1).sum::<i64>(),
        store.counts().unwrap().residents as i64
    );
    assert_eq!(blocks.len(), pop.blocks.len());
    let groups = csv_counts(
        &ok(
            &db,
            &[
                "report",
                "population",
                "--from",
                from,
                "--to",
                to,
                "--by",
                "group",
                "--csv",
            ],
        ),
        "group",
    );
    assert_eq!(
        groups,
        pop.groups
            .iter()
            .map(|g| (g.group.clone(), g.households))
            .collect::<Vec<_>>()
    );
    let visits = ok(
        &db,
        &["report", "visits", "--from", from, "--to", to, "--csv"],
    );
    assert!(visits.starts_with("visitor,count,"), "{visits}");

    let units = ok(&db, &["search", "--units", "招聘"]);
    assert!(
        units.contains("物美超市朝阳门店") && units.contains("朝阳门南小街88号"),
        "{units}"
    );
    assert!(!units.contains("北京二中"), "{units}");

    for bad in [
        vec!["report", "requests", "--from", "2026-02-30", "--to", to],
        vec![
            "report",
            "requests",
            "--from",
            "2026-03-02",
            "--to",
            "2026-03-01",
        ],
        vec![
            "report", "requests", "--from", from, "--to", to, "--by", "colour",
        ],
    ] {
        let out = run(&db, &bad);
        assert!(!out.status.success(), "{bad:?}");
    }
}
