//! The demo community's three past group-call campaigns (seed 000's "电话群拨"), finished,
//! with one attempt per household, their results and the follow-ups they left.

use super::{staff_id, DemoRng, GROUPS};
use crate::db::ms;
use crate::{Result, Store};
use chrono::{DateTime, Utc};
use rusqlite::params;

impl Store {
    pub(super) fn demo_campaigns(&self, now: DateTime<Utc>, staff: &[(&str, i64)]) -> Result<()> {
        let by = staff_id(staff, "staff");
        const DAY: i64 = 86_400_000;
        let now_ms = ms(now);
        let campaigns = [
            ("夏夜治安提示", "notice-security", GROUPS[18], 120, 0.77),
            ("冬季供暖通知", "notice-heating", GROUPS[6], 60, 0.85),
            ("防范电信诈骗宣传", "notice-fraud", GROUPS[3], 10, 0.8),
        ];
        let mut rng = DemoRng::new(7);
        self.write(|tx| {
            for (name, prompt, group, days, p) in campaigns {
                let start = now_ms - days * DAY;
                let end = start + 900_000;
                tx.execute(
                    "INSERT INTO campaigns (name, prompt, created_by, created_ms, status, started_ms,
                         finished_ms, retries)
                     VALUES (?1, ?2, ?3, ?4, 'finished', ?5, ?6, 0)",
                    params![name, prompt, by, start - 600_000, start, end],
                )?;
                let cid = tx.last_insert_rowid();
                tx.execute(
                    "INSERT INTO campaign_groups (campaign_id, group_id) SELECT ?1, id FROM phone_groups WHERE name = ?2",
                    params![cid, group],
                )?;
                let targets: Vec<(i64, Option<String>)> = tx
                    .prepare(
                        "SELECT m.household_id, (SELECT normalized FROM phones p WHERE p.household_id = m.household_id ORDER BY p.id LIMIT 1)
                         FROM group_members m JOIN phone_groups g ON g.id = m.group_id
                         WHERE g.name = ?1 ORDER BY m.household_id",
                    )?
                    .query_map([group], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<_>>()?;
                for (hh, number) in targets {
                    let Some(number) = number else {
                        tx.execute(
                            "INSERT INTO campaign_households (campaign_id, household_id, outcome, reached, finished_ms)
                             VALUES (?1, ?2, 'no_number', 0, ?3)",
                            params![cid, hh, start],
                        )?;
                        continue;
                    };
                    let dialed = start + rng.range(0, 5_000);
                    let answered = rng.chance(p);
                    let (state, code, ans, heard) = if answered {
                        let ans = dialed + rng.range(3_000, 20_000);
                        ("heard", 200, Some(ans), Some(rng.range(20, 45) as f64))
                    } else {
                        match *rng.pick(&["no_answer", "no_answer", "busy"]) {
                            "busy" => ("busy", 486, None, None),
                            _ => ("no_answer", 487, None, None),
                        }
                    };
                    tx.execute(
                        "INSERT INTO campaign_calls (campaign_id, household_id, attempt, number, dialled, state,
                            created_ms, dialed_ms, answered_ms, ended_ms, sip_code, heard_seconds)
                         VALUES (?1, ?2, 1, ?3, ?3, ?4, ?5, ?5, ?6, ?7, ?8, ?9)",
                        params![cid, hh, number, state, dialed, ans, dialed + 45_000, code, heard],
                    )?;
                    tx.execute(
                        "INSERT INTO campaign_households (campaign_id, household_id, outcome, reached, attempts,
                            seconds_heard, finished_ms)
                         VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6)",
                        params![cid, hh, state, answered, heard, dialed + 45_000],
                    )?;
                }
                tx.execute(
                    "INSERT INTO follow_ups (campaign_id, household_id, captain_staff_id, created_ms)
                     SELECT k.campaign_id, k.household_id, b.captain_staff_id, ?2
                     FROM campaign_households k JOIN households h ON h.id = k.household_id
                     LEFT JOIN blocks b ON b.id = h.block_id
                     WHERE k.campaign_id = ?1 AND k.reached = 0",
                    params![cid, end],
                )?;
            }
            Ok(())
        })
    }
}
