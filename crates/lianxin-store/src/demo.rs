//! The demo community and the benchmark data generator.
//!
//! [`Store::generate_demo`] fills an empty database with a realistic, deterministic
//! neighbourhood of the 朝阳门 area: households on hutongs (bungalows) and in numbered
//! buildings (flats), residents with plausible Chinese names (surnames by frequency), ages
//! and work, landlines (`6xxxxxxx`) and mobiles, six blocks with their captains, the 23
//! phone groups, resident units (the 外交部食堂 is hiring), staff accounts, a few years
//! of service history and the visit rhythms of those who need visiting (`visits`). Residents, units and group memberships go in through the CSV import
//! path, so the demo also exercises it. Seed 000's first caller, 范先翔, is always there.
//!
//! [`write_residents_csv`] streams the same kind of households to CSV files for the
//! benchmark, and [`Store::generate_history`] adds requests and calls to any database.

use crate::china_time::china_today;
use crate::db::ms;
use crate::import::{ImportKind, ImportOptions};
use crate::staff::{NewStaff, Role};
use crate::{Result, Store, StoreError};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use rusqlite::params;

mod campaigns;
mod households;
mod names;
mod visits;

pub use households::{write_residents_csv, CsvSink, GenHousehold, GenMember, HouseholdGen};
pub use names::GROUPS;
use names::*;

/// A small deterministic PRNG (SplitMix64): the same seed gives the same community on
/// every platform and every version of the `rand` crate.
#[derive(Debug, Clone)]
pub struct DemoRng(u64);

impl DemoRng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> DemoRng {
        DemoRng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n.max(1) as u128) >> 64) as u64
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1).max(1) as u64) as i64
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    /// A random element.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Seed; the same seed and `now` give the same database.
    pub seed: u64,
    /// Number of generated households (plus the fixed ones).
    pub households: usize,
    /// "Now" for ages and history.
    pub now: DateTime<Utc>,
}

/// The demo staff accounts: (username, display name, role, extension, password).
pub const DEMO_STAFF: [(&str, &str, Role, Option<&str>, &str); 7] = [
    ("8001", "于燕妮", Role::Operator, Some("8001"), "demo8001"),
    ("8002", "王丽", Role::Operator, Some("8002"), "demo8002"),
    ("8003", "张强", Role::Operator, Some("8003"), "demo8003"),
    ("captain", "李建国", Role::Captain, None, "demo-captain"),
    ("staff", "刘芳", Role::Committee, None, "demo-staff"),
    (
        "super",
        "赵敏",
        Role::Supervisor,
        Some("8009"),
        "demo-super",
    ),
    ("admin", "管理员", Role::Admin, None, "demo-admin"),
];

const UNITS_CSV: &str = "name,address,contact,phone,jobs,notes
外交部食堂,朝阳门南大街2号,孙师傅,65961114,招聘帮厨2名、面点师1名，包午餐，可当天面试,驻区单位，长期与社区合作职业介绍
朝阳门社区卫生服务中心,朝阳门北小街12号,周大夫,65132201,招聘护工1名,提供上门送药、慢病随访
东城区朝阳门派出所,朝阳门南小街60号,王警官,65125110,,社区民警夜查、治安提示
内务部街小学,内务部街11号,陈老师,65122038,招聘保安1名,
朝阳门街道办事处,朝阳门北小街3号,赵科长,65242358,,街道各科室转办
华夏银行朝阳门支行,朝阳门内大街6号,钱经理,65132600,招聘大堂助理1名,
物美超市朝阳门店,朝阳门南小街88号,郑店长,65138800,招聘理货员3名、收银员2名,
北京二中,内务部街15号,吴主任,65128472,,
东四邮政支局,东四南大街2号,冯女士,65128130,,代缴水电燃气费
朝阳门物业管理中心,朝阳门北小街20号,马经理,65136622,招聘水电维修工1名,楼房设施维修
社区老年活动站,演乐胡同38号,高大妈,65127708,,老年协会、助餐点
安康家政服务社,禄米仓胡同5号,沈女士,65134455,招聘保洁员5名、育儿嫂2名,小时工、保姆介绍
朝阳门菜市场,朝阳门内大街18号,吕老板,65126655,招聘搬运工2名,
东城区残疾人联合会朝阳门工作站,朝阳门北小街3号,许主任,65240011,,残疾人证办理
中国石化朝阳门加油站,朝阳门北大街1号,曹站长,65129901,招聘加油员2名,
";

impl Store {
    /// Fills an empty database with the demo community; `progress` hears each step.
    /// Fails if the database already has households.
    pub fn generate_demo(
        &self,
        opts: &DemoOptions,
        progress: &mut dyn FnMut(&str),
    ) -> Result<DemoSummary> {
        if self.counts()?.households > 0 {
            return Err(StoreError::Invalid(format!(
                "database {} already has households; demo data needs an empty database",
                self.path().display()
            )));
        }
        let today = china_today(opts.now);
        progress("staff accounts");
        let mut staff_ids = Vec::new();
        for (u, name, role, ext, pw) in DEMO_STAFF {
            let id = self.create_staff(
                &NewStaff {
                    username: u,
                    display_name: name,
                    role,
                    extension: ext,
                    phone: None,
                    password: Some(pw),
                },
                None,
            )?;
            staff_ids.push((u, id));
        }
        let mut rng = DemoRng::new(opts.seed.wrapping_add(17));
        let captain_names = ["陈桂兰", "孙卫东", "周秀英", "吴建华", "郑淑珍"];
        let mut captains = vec![(
            BLOCKS[0],
            staff_id(&staff_ids, "captain"),
            "李建国".to_string(),
            "13801010001".to_string(),
        )];
        for (k, name) in captain_names.iter().enumerate() {
            let user = format!("captain{}", k + 2);
            let phone = format!("1380101{:04}", k + 2);
            let id = self.create_staff(
                &NewStaff {
                    username: &user,
                    display_name: name,
                    role: Role::Captain,
                    extension: None,
                    phone: Some(&phone),
                    password: None,
                },
                None,
            )?;
            captains.push((BLOCKS[k + 1], Some(id), name.to_string(), phone));
        }

        progress("households and residents");
        let mut res_buf = Vec::new();
        let mut grp_buf = Vec::new();
        {
            let mut sink = CsvSink::new(&mut res_buf, Some(&mut grp_buf))?;
            for h in fixed_households(today) {
                sink.write(&h)?;
            }
            let mut gen = HouseholdGen::new(opts.seed, today, "NW").starting_at(10);
            let mut bungalows = Vec::new();
            for _ in 0..opts.households {
                let mut h = gen.next_household();
                if h.bungalow && bungalows.len() < 26 && rng.chance(0.15) {
                    h.groups.push(GROUPS[18]); // 重点防范户: seed 000's 26 households
                    bungalows.push(h.code.clone());
                }
                sink.write(&h)?;
            }
            sink.finish()?;
        }
        let io = |source: &str| ImportOptions {
            skip_bad: false,
            staff_id: None,
            source: source.to_string(),
        };
        let r = self.import_csv(
            ImportKind::Residents,
            res_buf.as_slice(),
            &io("demo residents"),
            &mut |_| {},
        )?;
        progress("phone groups");
        self.write(|tx| {
            for g in GROUPS {
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO phone_groups (name, created_ms) VALUES (?1, ?2)",
                )?
                .execute(params![g, ms(opts.now)])?;
            }
            Ok(())
        })?;
        self.import_csv(
            ImportKind::Groups,
            grp_buf.as_slice(),
            &io("demo groups"),
            &mut |_| {},
        )?;
        progress("resident units");
        self.import_csv(
            ImportKind::Units,
            UNITS_CSV.as_bytes(),
            &io("demo units"),
            &mut |_| {},
        )?;
        self.write(|tx| {
            for (block, id, name, phone) in &captains {
                tx.prepare_cached(
                    "UPDATE blocks SET captain_staff_id = ?2, captain_name = ?3, captain_phone = ?4 WHERE name = ?1",
                )?
                .execute(params![block, id, name, phone])?;
            }
            Ok(())
        })?;
        progress("service history");
        let history = self.generate_history(opts.seed, opts.now, 0.35)?;
        self.fixed_history(opts.now, &staff_ids)?;
        progress("group-call campaigns");
        self.demo_campaigns(opts.now, &staff_ids)?;
        progress("visit rhythms and home visits");
        self.demo_visits(opts.seed, opts.now)?;
        let counts = self.counts()?;
        Ok(DemoSummary {
            households: r.households,
            residents: r.residents,
            requests: counts.requests,
            calls: counts.calls,
            history_requests: history,
        })
    }

    /// Adds a few years of requests and calls to a random `fraction` of households (used by
    /// the demo and the benchmark). Returns the number of requests written.
    pub fn generate_history(&self, seed: u64, now: DateTime<Utc>, fraction: f64) -> Result<u64> {
        let mut rng = DemoRng::new(seed.wrapping_add(99));
        let (households, operators, captains) = self.read(|c| {
            let hh = c
                .prepare("SELECT h.id, (SELECT min(id) FROM residents WHERE household_id = h.id), b.captain_staff_id,
                                 (SELECT normalized FROM phones WHERE household_id = h.id ORDER BY id LIMIT 1)
                          FROM households h LEFT JOIN blocks b ON b.id = h.block_id ORDER BY h.id")?
                .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?, r.get::<_, Option<i64>>(2)?, r.get::<_, Option<String>>(3)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let ops = c
                .prepare("SELECT id FROM staff WHERE role = 'operator' ORDER BY id")?
                .query_map([], |r| r.get::<_, i64>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let caps = c
                .prepare("SELECT id FROM staff WHERE role = 'captain' ORDER BY id")?
                .query_map([], |r| r.get::<_, i64>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((hh, ops, caps))
        })?;
        let now_ms = ms(now);
        const DAY: i64 = 86_400_000;
        self.write(|tx| {
            let mut n = 0u64;
            let mut req = tx.prepare_cached(
                "INSERT INTO requests (household_id, resident_id, channel, call_id, category_item, category_class,
                    grade, content, responsible_staff_id, captain_staff_id, created_by, created_ms, level1_ms,
                    deadline_ms, status, result, closed_ms, closed_by, feedback_by, feedback_ms, feedback_how,
                    feedback_satisfied, stage, feedback_result)
                 VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,
                    CASE WHEN ?15 = 'open' THEN 'assigned' WHEN ?20 IS NULL THEN 'resolved' ELSE 'feedback_given' END,
                    CASE ?22 WHEN 1 THEN 'satisfied' WHEN 0 THEN 'not_satisfied' END)",
            )?;
            let mut call = tx.prepare_cached(
                "INSERT INTO calls (sip_call_id, direction, caller_raw, caller_normalized, household_id, arrived_ms,
                    answered_ms, ended_ms, operator_staff_id, outcome, rtp_sent, rtp_received, rtp_lost, jitter_ms)
                 VALUES (?1, 'in', ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, 0, 2.0)",
            )?;
            for (hh, resident, block_captain, number) in &households {
                if !rng.chance(fraction) {
                    continue;
                }
                let k = 1 + rng.below(4);
                for _ in 0..k {
                    let (item, class, content) = *rng.pick(CATEGORIES);
                    let age_days = if rng.chance(0.06) { rng.range(0, 12) } else { rng.range(12, 3 * 365) };
                    let created = now_ms - age_days * DAY - rng.range(0, DAY);
                    let (l1d, dld) = *rng.pick(&[(5, 8), (2, 3), (3, 5), (10, 15)]);
                    let level1 = created + l1d * DAY;
                    let deadline = created + dld * DAY;
                    let op = if operators.is_empty() { None } else { Some(*rng.pick(&operators)) };
                    let captain = block_captain.or_else(|| if captains.is_empty() { None } else { Some(*rng.pick(&captains)) });
                    let channel = *rng.pick(&["phone", "phone", "phone", "walk_in", "visit"]);
                    let mut call_id = None;
                    if channel == "phone" {
                        if let Some(num) = number {
                            let arrived = created - rng.range(60_000, 600_000);
                            let dur = rng.range(40_000, 400_000);
                            call.execute(params![
                                format!("demo-{hh}-{created}@lianxin"), num, hh, arrived, arrived + 4_000,
                                arrived + dur, op, "answered", dur / 20
                            ])?;
                            call_id = Some(tx.last_insert_rowid());
                        }
                    }
                    let closed_after = rng.range(0, dld + 3) * DAY + rng.range(3_600_000, DAY);
                    let closed = created + closed_after;
                    let (status, result, closed_ms, fb) = if closed < now_ms && age_days >= 3 {
                        ("closed", *rng.pick(RESULTS), Some(closed), Some(closed + rng.range(3_600_000, 2 * DAY)))
                    } else {
                        ("open", "", None, None)
                    };
                    let fb = fb.filter(|t| *t < now_ms);
                    req.execute(params![
                        hh, resident, channel, call_id, item, class, 1 + rng.below(3) as i64, content, captain.or(op),
                        captain, op, created, level1, deadline, status, result, closed_ms, closed_ms.and(captain.or(op)),
                        fb.and(captain), fb, fb.map(|_| "电话回访"), fb.map(|_| rng.chance(0.9) as i64)
                    ])?;
                    n += 1;
                }
                if rng.chance(0.1) {
                    if let Some(num) = number {
                        let arrived = now_ms - rng.range(0, 700) * DAY - rng.range(0, DAY);
                        call.execute(params![format!("demo-ab-{hh}-{arrived}@lianxin"), num, hh, arrived, None::<i64>, arrived + 20_000, None::<i64>, "abandoned", 0])?;
                    }
                }
            }
            Ok(n)
        })
    }

    fn fixed_history(&self, now: DateTime<Utc>, staff: &[(&str, i64)]) -> Result<()> {
        let op = staff_id(staff, "8001");
        let cap = staff_id(staff, "captain");
        const DAY: i64 = 86_400_000;
        let now_ms = ms(now);
        // The voice messages' recordings are written beside the database, where `serve` looks.
        let folder = crate::demo_audio::voicemail_folder(self.path());
        self.write(move |tx| {
            let (hh, fan): (i64, i64) = tx.query_row(
                "SELECT household_id, id FROM residents WHERE name = '范先翔' ORDER BY id LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            // The first hotline call (seed 000): placed at the 外交部食堂 the same day.
            let t0 = now_ms - 400 * DAY;
            tx.execute(
                "INSERT INTO calls (sip_call_id, direction, caller_raw, caller_normalized, household_id, arrived_ms,
                    answered_ms, ended_ms, operator_staff_id, outcome, rtp_sent, rtp_received)
                 VALUES ('demo-fan-1@lianxin', 'in', '65123456', '01065123456', ?1, ?2, ?3, ?4, ?5, 'answered', 9000, 9000)",
                params![hh, t0, t0 + 3_000, t0 + 180_000, op],
            )?;
            let c1 = tx.last_insert_rowid();
            tx.execute(
                "INSERT INTO requests (household_id, resident_id, channel, call_id, category_item, category_class, grade,
                    content, responsible_staff_id, captain_staff_id, created_by, created_ms, level1_ms, deadline_ms,
                    status, result, closed_ms, closed_by, feedback_by, feedback_ms, feedback_how, feedback_satisfied,
                    stage, feedback_result)
                 VALUES (?1, ?2, 'phone', ?3, '职业介绍', '就业', 1, '一直找不到合适的工作，想登记求职', ?4, ?5, ?4,
                    ?6, ?7, ?8, 'closed', '介绍到外交部食堂，当天面试通过，次日上岗', ?9, ?4, ?5, ?10, '电话回访', 1,
                    'feedback_given', 'satisfied')",
                params![hh, fan, c1, op, cap, t0 + 200_000, t0 + 5 * DAY, t0 + 8 * DAY, t0 + DAY / 3, t0 + 2 * DAY],
            )?;
            // A recent open request (green), asked two days ago on her mobile.
            let t1 = now_ms - 2 * DAY;
            tx.execute(
                "INSERT INTO calls (sip_call_id, direction, caller_raw, caller_normalized, household_id, arrived_ms,
                    answered_ms, ended_ms, operator_staff_id, outcome, rtp_sent, rtp_received)
                 VALUES ('demo-fan-2@lianxin', 'in', '+8613912345678', '13912345678', ?1, ?2, ?3, ?4, ?5, 'answered', 6000, 6000)",
                params![hh, t1, t1 + 2_000, t1 + 120_000, op],
            )?;
            let c2 = tx.last_insert_rowid();
            tx.execute(
                "INSERT INTO requests (household_id, resident_id, channel, call_id, category_item, category_class, grade,
                    content, responsible_staff_id, captain_staff_id, created_by, created_ms, level1_ms, deadline_ms, status,
                    stage)
                 VALUES (?1, ?2, 'phone', ?3, '政策咨询', '社保', 1, '咨询灵活就业人员养老保险缴费办法', ?4, ?5, ?4,
                    ?6, ?7, ?8, 'open', 'assigned')",
                params![hh, fan, c2, cap, cap, t1 + 130_000, t1 + 5 * DAY, t1 + 8 * DAY],
            )?;
            // Open voice messages from unknown and known callers, for the console.
            for (k, (raw, norm, h)) in [("sip:+8613700001111@trunk", "13700001111", None), ("65123456", "01065123456", Some(hh))].iter().enumerate() {
                let t = now_ms - (k as i64 + 1) * 3_600_000;
                let seconds = 15 + k as u32 * 7;
                let path = folder.join(format!("demo-{}.wav", k + 1));
                crate::demo_audio::write_recording(&path, seconds)?;
                tx.execute(
                    "INSERT INTO voice_messages (household_id, caller_raw, caller_normalized, created_ms, duration_ms, path)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![h, raw, norm, t, i64::from(seconds) * 1000, path.to_string_lossy()],
                )?;
            }
            Ok(())
        })
    }
}

fn staff_id(staff: &[(&str, i64)], user: &str) -> Option<i64> {
    staff.iter().find(|(u, _)| *u == user).map(|(_, id)| *id)
}

/// The households every demo has: 范先翔's (seed 000) and two sharing a landline.
fn fixed_households(today: NaiveDate) -> Vec<GenHousehold> {
    let back = |years: i32, days: i64| {
        NaiveDate::from_ymd_opt(today.year() - years, today.month(), today.day().min(28))
            .unwrap_or(today)
            - Duration::days(days)
    };
    let m =
        |name: &str, sex: char, dob: NaiveDate, work: &str, skills: &str, mobile: Option<&str>| {
            GenMember {
                name: name.into(),
                sex,
                dob,
                work: work.into(),
                skills: skills.into(),
                mobile: mobile.map(Into::into),
            }
        };
    vec![
        GenHousehold {
            code: "NW000000".into(),
            street: "内务部街",
            number: "27".into(),
            building: String::new(),
            unit: String::new(),
            room: String::new(),
            bungalow: true,
            block: BLOCKS[0],
            landline: Some("65123456".into()),
            members: vec![
                m(
                    "范先翔",
                    'F',
                    back(44, 73),
                    "外交部食堂帮厨",
                    "烹饪、面点",
                    Some("13912345678"),
                ),
                m(
                    "陈志刚",
                    'M',
                    back(47, 20),
                    "出租车司机",
                    "象棋",
                    Some("13501234567"),
                ),
                m("陈浩", 'M', back(19, 150), "大学生", "篮球", None),
            ],
            groups: vec![GROUPS[1], GROUPS[6], GROUPS[11], GROUPS[20]],
        },
        GenHousehold {
            code: "NW000001".into(),
            street: "演乐胡同",
            number: "甲12".into(),
            building: String::new(),
            unit: String::new(),
            room: "东屋".into(),
            bungalow: true,
            block: BLOCKS[1],
            landline: Some("65120000".into()),
            members: vec![m("宋桂英", 'F', back(81, 10), "退休", "京剧", None)],
            groups: vec![GROUPS[3], GROUPS[4], GROUPS[6], GROUPS[22]],
        },
        GenHousehold {
            code: "NW000002".into(),
            street: "演乐胡同",
            number: "甲12".into(),
            building: String::new(),
            unit: String::new(),
            room: "西屋".into(),
            bungalow: true,
            block: BLOCKS[1],
            landline: Some("65120000".into()),
            members: vec![
                m(
                    "孟凡军",
                    'M',
                    back(58, 5),
                    "个体经营",
                    "",
                    Some("13811112222"),
                ),
                m("丁丽", 'F', back(55, 40), "超市收银员", "广场舞", None),
            ],
            groups: vec![GROUPS[6], GROUPS[16]],
        },
    ]
}

/// What [`Store::generate_demo`] made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct DemoSummary {
    /// Households.
    pub households: u64,
    /// Residents.
    pub residents: u64,
    /// Requests in total.
    pub requests: u64,
    /// Calls in total.
    pub calls: u64,
    /// Requests from the random history.
    pub history_requests: u64,
}

impl Store {
    /// `count` normalized numbers drawn at random (with repetition) from the phones table,
    /// for benchmarks.
    pub fn sample_numbers(&self, count: usize, seed: u64) -> Result<Vec<String>> {
        let mut rng = DemoRng::new(seed);
        self.read(|c| {
            let max: i64 =
                c.query_row("SELECT coalesce(max(id), 0) FROM phones", [], |r| r.get(0))?;
            let mut out = Vec::with_capacity(count);
            if max == 0 {
                return Ok(out);
            }
            let mut st = c.prepare_cached(
                "SELECT normalized FROM phones WHERE id >= ?1 ORDER BY id LIMIT 1",
            )?;
            while out.len() < count {
                let id = rng.range(1, max);
                let n: String = st.query_row([id], |r| r.get(0))?;
                out.push(n);
            }
            Ok(out)
        })
    }

    /// Checkpoints the WAL into the main file (so the file size is the database size).
    pub fn checkpoint(&self) -> Result<()> {
        self.read(|c| {
            c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
            Ok(())
        })
    }
}
