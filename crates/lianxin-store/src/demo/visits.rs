//! The demo community's visit rhythms (民生信号灯) and past home visits, so a demo captain's
//! 待走访 (visits due) list is not empty. Households living alone or needing care get a
//! rhythm by their phone groups — 独居老人 weekly, 空巢老人家庭 and 残疾人家庭 monthly,
//! 低保人员家庭 quarterly — and most of them a past visit by their block's captain, some
//! within the rhythm and some overdue, so a captain sees a few due, not all. The three
//! fixed households (范先翔's and the shared landline) are left alone: tests set their
//! rhythm and visit them from a clean slate. Seeded, so the same seed gives the same visits.

use super::{DemoRng, GROUPS};
use crate::china_time::china_today;
use crate::db::ms;
use crate::visits::VisitFrequency;
use crate::{Result, Store};
use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use rusqlite::params;

/// Which groups give a household which rhythm, first match wins.
const RHYTHMS: [(&str, VisitFrequency); 4] = [
    (GROUPS[4], VisitFrequency::Weekly),
    (GROUPS[3], VisitFrequency::Monthly),
    (GROUPS[5], VisitFrequency::Monthly),
    (GROUPS[0], VisitFrequency::Quarterly),
];

/// The share of such households that get a rhythm, and of those that were visited.
const WITH_RHYTHM: f64 = 0.25;
const VISITED: f64 = 0.9;

const NOTES: [&str; 6] = [
    "入户走访，老人身体健康，生活能自理",
    "了解家中近况，暂无特殊需求",
    "提醒冬季用电、用气安全，检查了燃气灶",
    "送去社区助餐点的介绍，老人表示愿意试试",
    "家属在场，反映楼道灯不亮，已记下",
    "测量血压正常，叮嘱按时服药",
];

impl Store {
    /// Gives the demo's vulnerable households a visit rhythm and past visits by their
    /// block's captain; returns how many visits it wrote.
    pub(super) fn demo_visits(&self, seed: u64, now: DateTime<Utc>) -> Result<u64> {
        let mut rng = DemoRng::new(seed.wrapping_add(31));
        let today = china_today(now);
        self.write(|tx| {
            // Each household once, with its first group in `RHYTHMS` order and its captain.
            let mut st = tx.prepare(
                "SELECT h.id, b.captain_staff_id, g.name
                 FROM households h JOIN blocks b ON b.id = h.block_id
                 JOIN group_members m ON m.household_id = h.id
                 JOIN phone_groups g ON g.id = m.group_id
                 WHERE b.captain_staff_id IS NOT NULL AND h.code NOT IN ('NW000000', 'NW000001', 'NW000002')
                 ORDER BY h.id, g.name",
            )?;
            let rows = st
                .query_map([], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut chosen: Vec<(i64, i64, VisitFrequency)> = Vec::new();
            for (household, captain, group) in rows {
                let Some((_, freq)) = RHYTHMS.iter().find(|(g, _)| *g == group) else {
                    continue;
                };
                match chosen.last_mut() {
                    Some(last) if last.0 == household => {
                        if rank(*freq) < rank(last.2) {
                            last.2 = *freq;
                        }
                    }
                    _ => chosen.push((household, captain, *freq)),
                }
            }
            let mut set = tx.prepare("UPDATE households SET visit_frequency = ?2 WHERE id = ?1")?;
            let mut visit = tx.prepare(
                "INSERT INTO visits (household_id, staff_id, visited_ms, notes, created_ms) VALUES (?1, ?2, ?3, ?4, ?3)",
            )?;
            let mut written = 0u64;
            for (household, captain, freq) in chosen {
                if !rng.chance(WITH_RHYTHM) {
                    continue;
                }
                set.execute(params![household, freq.as_str()])?;
                if !rng.chance(VISITED) {
                    continue; // never visited: due
                }
                // The last visit up to 1.4 periods ago (beyond one period: due), and up to
                // two before it, about a period apart.
                let period = freq.period().num_days();
                let mut ago = rng.range(1, period * 7 / 5 + 1);
                for _ in 0..=rng.below(3) {
                    let day = today - Duration::days(ago);
                    // 09:00 to 17:00 China time (UTC+8, no summer time).
                    let at = Utc.from_utc_datetime(&day.and_time(NaiveTime::MIN))
                        + Duration::hours(1)
                        + Duration::minutes(rng.range(0, 8 * 60));
                    if at >= now {
                        continue;
                    }
                    visit.execute(params![household, captain, ms(at), *rng.pick(&NOTES)])?;
                    written += 1;
                    ago += period + rng.range(-3, 4);
                }
            }
            Ok(written)
        })
    }
}

/// Weekly before monthly before quarterly: the closest rhythm a household's groups ask.
fn rank(f: VisitFrequency) -> u8 {
    match f {
        VisitFrequency::Weekly => 0,
        VisitFrequency::Monthly => 1,
        VisitFrequency::Quarterly => 2,
    }
}

#[cfg(test)]
mod tests {
    use crate::demo::DemoOptions;
    use crate::Store;
    use chrono::{TimeZone, Utc};

    /// The demo captain (李建国) sees some households due, not all of those with a rhythm;
    /// the same seed gives the same list; the fixed households have no rhythm.
    #[test]
    fn the_demo_captain_has_a_few_visits_due() {
        let now = Utc.with_ymd_and_hms(2026, 6, 1, 2, 0, 0).unwrap();
        let make = || {
            let dir = tempfile::tempdir().unwrap();
            let s = Store::open(dir.path().join("t.db")).unwrap();
            s.generate_demo(
                &DemoOptions {
                    seed: 1,
                    households: 600,
                    now,
                },
                &mut |_| {},
            )
            .unwrap();
            (dir, s)
        };
        let (_d, s) = make();
        let captain = s
            .staff_list()
            .unwrap()
            .into_iter()
            .find(|st| st.username == "captain")
            .unwrap()
            .id;
        let due = s.visits_due(captain, now).unwrap();
        let with_rhythm: i64 = s
            .read(|c| {
                Ok(c.query_row(
                    "SELECT count(*) FROM households h JOIN blocks b ON b.id = h.block_id
                     WHERE b.captain_staff_id = ?1 AND h.visit_frequency IS NOT NULL",
                    [captain],
                    |r| r.get(0),
                )?)
            })
            .unwrap();
        assert!(!due.is_empty(), "the demo captain has visits due");
        assert!(
            (due.len() as i64) < with_rhythm,
            "not every household with a rhythm is due: {} of {with_rhythm}",
            due.len()
        );
        assert!(
            due.iter().any(|d| d.last_visit.is_some()),
            "some were visited, too long ago"
        );
        let fixed: i64 = s
            .read(|c| {
                Ok(c.query_row(
                    "SELECT count(*) FROM households WHERE code IN ('NW000000', 'NW000001', 'NW000002')
                     AND visit_frequency IS NOT NULL",
                    [],
                    |r| r.get(0),
                )?)
            })
            .unwrap();
        assert_eq!(fixed, 0, "the fixed households keep no rhythm");
        let visits: i64 = s
            .read(|c| Ok(c.query_row("SELECT count(*) FROM visits", [], |r| r.get(0))?))
            .unwrap();
        assert!(
            s.read(|c| Ok(c.query_row(
                "SELECT count(*) FROM visits WHERE visited_ms > ?1",
                [crate::db::ms(now)],
                |r| r.get::<_, i64>(0)
            )?))
            .unwrap()
                == 0,
            "no visit in the future"
        );
        let (_d2, t) = make();
        let again = t.visits_due(captain, now).unwrap();
        assert_eq!(
            due.iter().map(|d| d.household_id).collect::<Vec<_>>(),
            again.iter().map(|d| d.household_id).collect::<Vec<_>>(),
            "the same seed, the same visits due"
        );
        let visits_again: i64 = t
            .read(|c| Ok(c.query_row("SELECT count(*) FROM visits", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(visits, visits_again);
    }
}
