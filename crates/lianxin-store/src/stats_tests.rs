//! Statistics over the demo community's history equal direct SQL counts computed here,
//! for every grouping, over the whole history and over one month; the period's ends are
//! China midnights; visits and population figures likewise.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rusqlite::Connection;

use crate::demo::DemoOptions;
use crate::request_rules::Actor;
use crate::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 2, 0, 0).unwrap()
}

fn demo() -> (tempfile::TempDir, Store, Connection) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let s = Store::open(&path).unwrap();
    s.generate_demo(
        &DemoOptions {
            seed: 5,
            households: 400,
            now: now(),
        },
        &mut |_| {},
    )
    .unwrap();
    let c = Connection::open(&path).unwrap();
    (dir, s, c)
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// China midnight of a day, as unix ms (computed independently of `Period`).
fn cst_ms(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp_millis() - 8 * 3_600_000
}

/// group, count, closed, by deadline, satisfied, not satisfied, average ms to close.
type SqlRow = (String, i64, f64, f64, f64, f64, Option<f64>);

const KEYS: [(RequestBy, &str); 5] = [
    (
        RequestBy::Category,
        "CASE WHEN category_class = '' THEN category_item ELSE category_item || '.' || category_class END",
    ),
    (RequestBy::Channel, "channel"),
    (
        RequestBy::Block,
        "COALESCE((SELECT b.name FROM households h JOIN blocks b ON b.id = h.block_id WHERE h.id = requests.household_id), '')",
    ),
    (RequestBy::Stage, "stage"),
    (
        RequestBy::Responsible,
        "COALESCE((SELECT display_name FROM staff WHERE id = responsible_staff_id), '')",
    ),
];

fn check_requests(s: &Store, c: &Connection, from: NaiveDate, to: NaiveDate, captain: Option<i64>) {
    let period = Period::new(from, to).unwrap();
    let (a, b) = (cst_ms(from), cst_ms(to) + 86_400_000);
    let scope = match captain {
        Some(id) => format!("AND (captain_staff_id = {id} OR responsible_staff_id = {id})"),
        None => String::new(),
    };
    let mut nonempty = 0;
    for (by, key) in KEYS {
        let report = s.request_report(period, by, captain).unwrap();
        let sql = format!(
            "SELECT {key}, COUNT(*),
                    TOTAL(status = 'closed'),
                    TOTAL(status = 'closed' AND closed_ms <= deadline_ms),
                    TOTAL(feedback_result IS 'satisfied'),
                    TOTAL(feedback_result IS 'not_satisfied'),
                    AVG(CASE WHEN status = 'closed' THEN closed_ms - created_ms END)
             FROM requests WHERE created_ms >= {a} AND created_ms < {b} {scope}
             GROUP BY 1 ORDER BY 2 DESC, 1"
        );
        let mut st = c.prepare(&sql).unwrap();
        let want: Vec<SqlRow> = st
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(report.groups.len(), want.len(), "{by:?}");
        for (g, w) in report.groups.iter().zip(&want) {
            assert_eq!(
                (
                    g.group.clone(),
                    g.count,
                    g.closed,
                    g.closed_by_deadline,
                    g.satisfied,
                    g.not_satisfied
                ),
                (
                    w.0.clone(),
                    w.1,
                    w.2 as i64,
                    w.3 as i64,
                    w.4 as i64,
                    w.5 as i64
                ),
                "{by:?}"
            );
            let avg = w.6.map(|v| v / 3_600_000.0);
            match (g.avg_hours_to_close, avg) {
                (Some(x), Some(y)) => assert!((x - y).abs() <= 0.005 + 1e-9, "{by:?} {x} {y}"),
                (x, y) => assert_eq!(x, y, "{by:?}"),
            }
            // p90, nearest rank, straight from SQL.
            let n = g.closed;
            if n > 0 {
                let rank = (0.9 * n as f64).ceil() as i64;
                let p90: i64 = c
                    .query_row(
                        &format!(
                            "SELECT closed_ms - created_ms FROM requests
                             WHERE created_ms >= {a} AND created_ms < {b} {scope}
                               AND status = 'closed' AND {key} = ?1
                             ORDER BY 1 LIMIT 1 OFFSET {}",
                            rank - 1
                        ),
                        [&g.group],
                        |r| r.get(0),
                    )
                    .unwrap();
                assert_eq!(
                    g.p90_hours_to_close,
                    Some(stats::round_to(p90 as f64 / 3_600_000.0, 2)),
                    "{by:?}"
                );
            }
            let rated = g.satisfied + g.not_satisfied;
            if rated > 0 {
                assert_eq!(
                    g.satisfaction_rate,
                    Some(stats::round_to(g.satisfied as f64 / rated as f64, 4))
                );
            } else {
                assert_eq!(g.satisfaction_rate, None);
            }
        }
        let total: i64 = want.iter().map(|w| w.1).sum();
        assert_eq!(report.total.count, total, "{by:?}");
        nonempty += total;
    }
    assert!(nonempty > 0, "the period {from}..{to} has requests");
}

#[test]
fn request_figures_equal_sql_over_the_demo_history() {
    let (_d, s, c) = demo();
    let first: i64 = c
        .query_row("SELECT MIN(created_ms) FROM requests", [], |r| r.get(0))
        .unwrap();
    assert!(
        now().timestamp_millis() - first > 2 * 365 * 86_400_000,
        "the demo has years of history"
    );
    check_requests(&s, &c, day(2023, 1, 1), day(2026, 6, 1), None);
    check_requests(&s, &c, day(2025, 3, 1), day(2025, 3, 31), None);
    let captain: i64 = c
        .query_row("SELECT id FROM staff WHERE username = 'captain'", [], |r| {
            r.get(0)
        })
        .unwrap();
    check_requests(&s, &c, day(2023, 1, 1), day(2026, 6, 1), Some(captain));
}

#[test]
fn period_ends_are_china_midnights() {
    let p = Period::new(day(2026, 3, 1), day(2026, 3, 31)).unwrap();
    let (a, b) = p.bounds();
    assert_eq!(a, Utc.with_ymd_and_hms(2026, 2, 28, 16, 0, 0).unwrap());
    assert_eq!(b, Utc.with_ymd_and_hms(2026, 3, 31, 16, 0, 0).unwrap());
    assert!(Period::new(day(2026, 3, 2), day(2026, 3, 1)).is_err());
    assert_eq!(
        stats::percentile(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9),
        Some(9)
    );
    assert_eq!(stats::percentile(&[7], 0.9), Some(7));
    assert_eq!(stats::percentile(&[], 0.9), None);
}

#[test]
fn visits_and_population_equal_sql() {
    let (_d, s, c) = demo();
    let staff: Vec<i64> = c
        .prepare("SELECT id FROM staff WHERE role = 'captain' ORDER BY id LIMIT 3")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let households: Vec<i64> = c
        .prepare("SELECT id FROM households ORDER BY id LIMIT 40")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (k, h) in households.iter().enumerate() {
        let who = Actor::staff(staff[k % staff.len()], Role::Captain);
        let at = now() - Duration::hours(13 * k as i64);
        s.create_visit(*h, at, "走访", &[], &who, now()).unwrap();
    }
    let period = Period::new(day(2026, 5, 25), day(2026, 5, 31)).unwrap();
    let (a, b) = (cst_ms(period.from), cst_ms(period.to) + 86_400_000);
    let report = s.visit_report(period, None).unwrap();
    let want: i64 = c
        .query_row(
            &format!("SELECT COUNT(*) FROM visits WHERE visited_ms >= {a} AND visited_ms < {b}"),
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(want > 0 && want < households.len() as i64);
    assert_eq!(report.total, want);
    for v in &report.visitors {
        let n: i64 = c
            .query_row(
                &format!("SELECT COUNT(*) FROM visits WHERE visited_ms >= {a} AND visited_ms < {b} AND staff_id = ?1"),
                [v.staff_id],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(v.count, n);
    }

    let pop = s.population_report(period, None).unwrap();
    let (hh, res, old): (i64, i64, i64) = c
        .query_row(
            "SELECT (SELECT COUNT(*) FROM households), (SELECT COUNT(*) FROM residents),
                    (SELECT COUNT(*) FROM residents WHERE dob <= '1966-05-31')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        (pop.total.households, pop.total.residents, pop.total.elderly),
        (hh, res, old)
    );
    assert!(old > 0);
    assert_eq!(
        pop.total.elderly_share,
        stats::round_to(old as f64 / res as f64, 4)
    );
    for g in &pop.groups {
        let n: i64 = c
            .query_row(
                "SELECT COUNT(*) FROM group_members m JOIN phone_groups g ON g.id = m.group_id WHERE g.name = ?1",
                [&g.group],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(g.households, n, "{}", g.group);
    }
    assert!(pop.groups.iter().any(|g| g.households > 0));

    // A captain sees only their blocks.
    let cap = staff[0];
    let mine: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM households WHERE block_id IN (SELECT id FROM blocks WHERE captain_staff_id = ?1)",
            [cap],
            |r| r.get(0),
        )
        .unwrap();
    let pop = s.population_report(period, Some(cap)).unwrap();
    assert_eq!(pop.total.households, mine);
    assert!(mine > 0 && mine < hh);
}
