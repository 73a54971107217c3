//! Generated households: the deterministic household generator ([`HouseholdGen`]) and
//! the CSV writer ([`CsvSink`], [`write_residents_csv`]) the demo and the benchmark share.

use super::names::*;
use super::DemoRng;
use crate::import::ImportKind;
use crate::Result;
use chrono::{Datelike, Duration, NaiveDate};
use std::io::Write;

/// One generated household (before it is written as CSV rows).
#[derive(Debug, Clone)]
pub struct GenHousehold {
    /// Household code.
    pub code: String,
    /// Street.
    pub street: &'static str,
    /// Number on the street.
    pub number: String,
    /// Building ('' for bungalows).
    pub building: String,
    /// Unit.
    pub unit: String,
    /// Room.
    pub room: String,
    /// Bungalow?
    pub bungalow: bool,
    /// Block name.
    pub block: &'static str,
    /// Landline, if any.
    pub landline: Option<String>,
    /// Members.
    pub members: Vec<GenMember>,
    /// Group names.
    pub groups: Vec<&'static str>,
}

/// One generated resident.
#[derive(Debug, Clone)]
pub struct GenMember {
    /// Name.
    pub name: String,
    /// 'F' or 'M'.
    pub sex: char,
    /// Date of birth.
    pub dob: NaiveDate,
    /// Work.
    pub work: String,
    /// Skills and hobbies.
    pub skills: String,
    /// Mobile, if any.
    pub mobile: Option<String>,
}

/// Generates households one by one; deterministic for a seed, a code prefix and a day.
pub struct HouseholdGen {
    rng: DemoRng,
    today: NaiveDate,
    prefix: String,
    next: u64,
    next_mobile: u64,
    surname_total: u32,
}

/// Numbers reserved for the fixed demo household (never generated).
pub(super) const RESERVED: &[&str] = &["65123456", "13912345678", "65120000"];
pub(super) const MOBILE_PREFIXES: &[u64] = &[
    139, 138, 137, 136, 135, 150, 151, 152, 158, 159, 186, 187, 188, 189, 130, 131, 132, 155, 156,
    185, 133, 153, 180, 181, 177, 199,
];

impl HouseholdGen {
    /// A generator; codes are `prefix` + a 6-digit (or longer) serial.
    pub fn new(seed: u64, today: NaiveDate, prefix: &str) -> HouseholdGen {
        HouseholdGen {
            rng: DemoRng::new(seed),
            today,
            prefix: prefix.to_string(),
            next: 1,
            next_mobile: 1,
            surname_total: SURNAMES.iter().map(|s| s.1).sum(),
        }
    }

    /// Starts the serial numbers (and landline numbering) at `n` instead of 1.
    pub fn starting_at(mut self, n: u64) -> HouseholdGen {
        self.next = n;
        self
    }

    fn surname(&mut self) -> &'static str {
        let mut x = self.rng.below(self.surname_total as u64) as u32;
        for (s, w) in SURNAMES {
            if x < *w {
                return s;
            }
            x -= w;
        }
        "王"
    }

    fn given(&mut self, sex: char) -> String {
        let chars = if sex == 'F' { FEMALE_CHARS } else { MALE_CHARS };
        let a = *self.rng.pick(chars);
        if self.rng.chance(0.35) {
            a.to_string()
        } else {
            format!("{a}{}", self.rng.pick(chars))
        }
    }

    fn landline(&self, i: u64) -> String {
        // A permutation of 0..10^7 (7919 is prime to 10): unique for every household.
        let n = format!("6{:07}", (i.wrapping_mul(7919) + 1_234_567) % 10_000_000);
        if RESERVED.contains(&n.as_str()) {
            return format!("6{:07}", (i.wrapping_mul(7919) + 1_234_568) % 10_000_000);
        }
        n
    }

    fn mobile(&mut self) -> String {
        let j = self.next_mobile;
        self.next_mobile += 1;
        let p = MOBILE_PREFIXES[(j % MOBILE_PREFIXES.len() as u64) as usize];
        let n = format!(
            "{p}{:08}",
            ((j / MOBILE_PREFIXES.len() as u64).wrapping_mul(7919) + 4_321_987) % 100_000_000
        );
        if RESERVED.contains(&n.as_str()) {
            return self.mobile();
        }
        n
    }

    fn member(&mut self, surname: &str, sex: char, age: i64) -> GenMember {
        let year = self.today.year() as i64 - age;
        let dob = NaiveDate::from_yo_opt(year as i32, 1).unwrap_or(self.today)
            + Duration::days(self.rng.range(0, 364));
        let dob = if dob > self.today { self.today } else { dob };
        let age = crate::screen::age_on(dob, self.today) as i64;
        let work = match age {
            0..=5 => "学龄前".to_string(),
            6..=17 => "学生".to_string(),
            18..=21 => {
                if self.rng.chance(0.7) {
                    "大学生".to_string()
                } else {
                    self.rng.pick(JOBS).to_string()
                }
            }
            22..=59 => self.rng.pick(JOBS).to_string(),
            _ => "退休".to_string(),
        };
        let skills = if self.rng.chance(0.3) {
            self.rng.pick(SKILLS).to_string()
        } else {
            String::new()
        };
        let mobile = if (16..=78).contains(&age) && self.rng.chance(0.85) {
            Some(self.mobile())
        } else {
            None
        };
        GenMember {
            name: format!("{surname}{}", self.given(sex)),
            sex,
            dob,
            work,
            skills,
            mobile,
        }
    }

    /// The next household.
    pub fn next_household(&mut self) -> GenHousehold {
        let i = self.next;
        self.next += 1;
        let r = &mut self.rng;
        let bungalow = r.chance(0.38);
        let (street, number, building, unit, room, block) = if bungalow {
            let s = r.below(HUTONGS.len() as u64) as usize;
            let pre = match r.below(10) {
                0 => "甲",
                1 => "乙",
                _ => "",
            };
            (
                HUTONGS[s],
                format!("{pre}{}", r.range(1, 90)),
                String::new(),
                String::new(),
                String::new(),
                BLOCKS[s % 4],
            )
        } else {
            let s = r.below(STREETS.len() as u64) as usize;
            (
                STREETS[s],
                r.range(1, 40).to_string(),
                r.range(1, 12).to_string(),
                r.range(1, 6).to_string(),
                format!("{}{:02}", r.range(1, 18), r.range(1, 4)),
                BLOCKS[4 + s % 2],
            )
        };
        let kind = self.rng.below(100);
        let head_sur = self.surname();
        let mut members = Vec::new();
        let a = |g: &mut Self, lo, hi| g.rng.range(lo, hi);
        match kind {
            0..=14 => {
                let age = a(self, 65, 94);
                let sex = if self.rng.chance(0.6) { 'F' } else { 'M' };
                members.push(self.member(head_sur, sex, age));
            }
            15..=34 => {
                let age = a(self, 60, 88);
                members.push(self.member(head_sur, 'M', age));
                let s2 = self.surname();
                let age2 = (age - a(self, 0, 5)).max(55);
                members.push(self.member(s2, 'F', age2));
            }
            35..=64 => {
                let age = a(self, 28, 56);
                members.push(self.member(head_sur, 'M', age));
                let s2 = self.surname();
                let age2 = (age - a(self, -2, 5)).max(24);
                members.push(self.member(s2, 'F', age2));
                let child_age = (age - a(self, 24, 34)).max(0);
                let sex = if self.rng.chance(0.5) { 'F' } else { 'M' };
                members.push(self.member(head_sur, sex, child_age));
            }
            65..=79 => {
                let g = a(self, 62, 86);
                members.push(self.member(head_sur, 'M', g));
                if self.rng.chance(0.7) {
                    let s = self.surname();
                    let x = g - a(self, 0, 4);
                    members.push(self.member(s, 'F', x));
                }
                let p = (g - a(self, 25, 32)).max(26);
                members.push(self.member(head_sur, 'M', p));
                let s = self.surname();
                let x = p - a(self, 0, 4);
                members.push(self.member(s, 'F', x));
                let sex = if self.rng.chance(0.5) { 'F' } else { 'M' };
                let x = a(self, 0, 16);
                members.push(self.member(head_sur, sex, x));
            }
            80..=89 => {
                let sex = if self.rng.chance(0.5) { 'F' } else { 'M' };
                let age = a(self, 22, 60);
                members.push(self.member(head_sur, sex, age));
            }
            _ => {
                let age = a(self, 25, 62);
                members.push(self.member(head_sur, 'M', age));
                let s = self.surname();
                let x = age - a(self, 0, 4);
                members.push(self.member(s, 'F', x));
            }
        }
        let elderly = members
            .iter()
            .all(|m| crate::screen::age_on(m.dob, self.today) >= 60);
        let landline = if self.rng.chance(if elderly { 0.92 } else { 0.65 }) {
            Some(self.landline(i))
        } else {
            None
        };
        let ages: Vec<u32> = members
            .iter()
            .map(|m| crate::screen::age_on(m.dob, self.today))
            .collect();
        let mut groups = Vec::new();
        let r = &mut self.rng;
        if r.chance(0.05) {
            groups.push(GROUPS[0]);
        }
        if r.chance(0.22) {
            groups.push(GROUPS[1]);
        }
        if r.chance(0.03) {
            groups.push(GROUPS[2]);
        }
        if elderly {
            groups.push(GROUPS[3]);
        }
        if members.len() == 1 && ages[0] >= 65 {
            groups.push(GROUPS[4]);
        }
        if r.chance(0.04) {
            groups.push(GROUPS[5]);
        }
        groups.push(if bungalow { GROUPS[6] } else { GROUPS[7] });
        if members.iter().any(|m| m.work == "待业") {
            groups.push(GROUPS[8]);
        }
        if ages.iter().any(|a| *a >= 60) {
            groups.push(GROUPS[9]);
        }
        if r.chance(0.12) {
            groups.push(GROUPS[10]);
        }
        if members
            .iter()
            .zip(&ages)
            .any(|(m, a)| m.sex == 'F' && (20..=49).contains(a))
        {
            groups.push(GROUPS[11]);
        }
        if ages.iter().any(|a| (6..=15).contains(a)) {
            groups.push(GROUPS[12]);
        }
        if r.chance(0.01) {
            groups.push(GROUPS[13]);
        }
        if r.chance(0.06) {
            groups.push(GROUPS[14]);
        }
        if !bungalow && r.chance(0.05) {
            groups.push(GROUPS[15]);
        }
        if r.chance(0.06) {
            groups.push(GROUPS[16]);
        }
        if r.chance(0.04) {
            groups.push(GROUPS[17]);
        }
        if ages.iter().any(|a| *a >= 60) && r.chance(0.3) {
            groups.push(GROUPS[19]);
        }
        if r.chance(0.08) {
            groups.push(GROUPS[20]);
        }
        if r.chance(0.01) {
            groups.push(GROUPS[21]);
        }
        if ages.iter().any(|a| *a >= 80) {
            groups.push(GROUPS[22]);
        }
        GenHousehold {
            code: format!("{}{:06}", self.prefix, i),
            street,
            number,
            building,
            unit,
            room,
            bungalow,
            block,
            landline,
            members,
            groups,
        }
    }
}

/// CSV writers for generated households (residents and groups files).
pub struct CsvSink<W: Write> {
    residents: csv::Writer<W>,
    groups: Option<csv::Writer<W>>,
    /// Residents written so far.
    pub residents_written: u64,
}

impl<W: Write> CsvSink<W> {
    /// Writes the header rows.
    pub fn new(residents: W, groups: Option<W>) -> Result<CsvSink<W>> {
        let mut r = csv::Writer::from_writer(residents);
        r.write_record(ImportKind::Residents.columns())?;
        let groups = match groups {
            Some(g) => {
                let mut g = csv::Writer::from_writer(g);
                g.write_record(ImportKind::Groups.columns())?;
                Some(g)
            }
            None => None,
        };
        Ok(CsvSink {
            residents: r,
            groups,
            residents_written: 0,
        })
    }

    /// Writes one household.
    pub fn write(&mut self, h: &GenHousehold) -> Result<()> {
        let dwelling = if h.bungalow { "bungalow" } else { "flat" };
        for (k, m) in h.members.iter().enumerate() {
            let home = if k == 0 {
                h.landline.as_deref().unwrap_or("")
            } else {
                ""
            };
            let dob = m.dob.format("%Y-%m-%d").to_string();
            let sex = if m.sex == 'F' { "F" } else { "M" };
            self.residents.write_record([
                h.code.as_str(),
                h.street,
                &h.number,
                &h.building,
                &h.unit,
                &h.room,
                dwelling,
                h.block,
                "",
                home,
                &m.name,
                sex,
                &dob,
                &m.work,
                &m.skills,
                "",
                m.mobile.as_deref().unwrap_or(""),
            ])?;
            self.residents_written += 1;
        }
        if let Some(g) = &mut self.groups {
            for name in &h.groups {
                g.write_record([*name, h.code.as_str()])?;
            }
        }
        Ok(())
    }

    /// Flushes both files.
    pub fn finish(mut self) -> Result<()> {
        self.residents.flush()?;
        if let Some(g) = &mut self.groups {
            g.flush()?;
        }
        Ok(())
    }
}

/// Writes households with about `residents` residents to `out` (benchmark input); returns
/// the number of residents written.
pub fn write_residents_csv(
    seed: u64,
    residents: u64,
    today: NaiveDate,
    prefix: &str,
    out: impl Write,
) -> Result<u64> {
    let mut gen = HouseholdGen::new(seed, today, prefix);
    let mut sink = CsvSink::new(out, None)?;
    while sink.residents_written < residents {
        let h = gen.next_household();
        sink.write(&h)?;
    }
    let n = sink.residents_written;
    sink.finish()?;
    Ok(n)
}
