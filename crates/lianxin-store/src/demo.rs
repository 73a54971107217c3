//! The demo community and the benchmark data generator.
//!
//! [`Store::generate_demo`] fills an empty database with a realistic, deterministic
//! neighbourhood of the 朝阳门 area: households on hutongs (bungalows) and in numbered
//! buildings (flats), residents with plausible Chinese names (surnames by frequency), ages
//! and work, landlines (`6xxxxxxx`) and mobiles, six blocks with their captains, the 23
//! phone groups, resident units (the 外交部食堂 is hiring), staff accounts and a few years
//! of service history. Residents, units and group memberships go in through the CSV import
//! path, so the demo also exercises it. Seed 000's first caller, 范先翔, is always there.
//!
//! [`write_residents_csv`] streams the same kind of households to CSV files for the
//! benchmark, and [`Store::generate_history`] adds requests and calls to any database.

use crate::db::ms;
use crate::import::{ImportKind, ImportOptions};
use crate::screen::china_today;
use crate::staff::{NewStaff, Role};
use crate::{Result, Store, StoreError};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use rusqlite::params;
use std::io::Write;

mod campaigns;

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

/// Surnames with their frequency (per 10,000 people, rounded).
const SURNAMES: &[(&str, u32)] = &[
    ("王", 725),
    ("李", 719),
    ("张", 683),
    ("刘", 538),
    ("陈", 453),
    ("杨", 308),
    ("赵", 229),
    ("黄", 223),
    ("周", 212),
    ("吴", 205),
    ("徐", 167),
    ("孙", 154),
    ("胡", 131),
    ("朱", 126),
    ("高", 121),
    ("林", 118),
    ("何", 117),
    ("郭", 115),
    ("马", 105),
    ("罗", 86),
    ("梁", 83),
    ("宋", 77),
    ("郑", 73),
    ("谢", 72),
    ("韩", 68),
    ("唐", 63),
    ("冯", 61),
    ("于", 60),
    ("董", 58),
    ("萧", 56),
    ("程", 55),
    ("曹", 54),
    ("袁", 53),
    ("邓", 52),
    ("许", 51),
    ("傅", 50),
    ("沈", 49),
    ("曾", 48),
    ("彭", 47),
    ("吕", 46),
    ("苏", 45),
    ("卢", 44),
    ("蒋", 43),
    ("蔡", 42),
    ("贾", 41),
    ("丁", 40),
    ("魏", 39),
    ("薛", 38),
    ("叶", 37),
    ("阎", 36),
    ("余", 35),
    ("潘", 34),
    ("杜", 33),
    ("戴", 32),
    ("夏", 31),
    ("钟", 30),
    ("汪", 29),
    ("田", 28),
    ("任", 27),
    ("姜", 26),
    ("范", 25),
    ("方", 24),
    ("石", 23),
    ("姚", 22),
    ("谭", 21),
    ("廖", 20),
    ("邹", 19),
    ("熊", 18),
    ("金", 17),
    ("陆", 16),
    ("郝", 15),
    ("孔", 14),
    ("白", 13),
    ("崔", 12),
    ("康", 11),
    ("毛", 10),
    ("邱", 10),
    ("秦", 10),
    ("江", 9),
    ("史", 9),
    ("顾", 9),
    ("侯", 8),
    ("邵", 8),
    ("孟", 8),
    ("龙", 7),
    ("万", 7),
    ("段", 7),
    ("钱", 6),
    ("汤", 6),
    ("尹", 6),
    ("常", 6),
    ("武", 6),
    ("乔", 5),
    ("贺", 5),
];

const MALE_CHARS: &[&str] = &[
    "伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "刚", "平", "辉", "鹏", "华", "飞", "鑫",
    "波", "斌", "宇", "浩", "凯", "健", "俊", "帆", "建", "国", "志", "文", "立", "海", "峰", "东",
    "亮", "龙", "林", "新", "振", "家", "子", "博", "宁", "晨", "昊", "卫", "庆", "德", "福", "永",
    "春", "金",
];
const FEMALE_CHARS: &[&str] = &[
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "秀", "英", "玲", "燕", "萍", "红", "梅", "琳",
    "雪", "婷", "颖", "慧", "淑", "兰", "凤", "洁", "琴", "云", "莉", "桂", "欣", "怡", "晶", "佳",
    "悦", "蕾", "倩", "丹", "妍", "璐", "珍", "华",
];

/// Hutongs with courtyard houses (bungalows).
const HUTONGS: &[&str] = &[
    "内务部街",
    "演乐胡同",
    "本司胡同",
    "南竹竿胡同",
    "北竹竿胡同",
    "礼士胡同",
    "前拐棒胡同",
    "新鲜胡同",
    "大方家胡同",
    "小牌坊胡同",
    "西总布胡同",
    "竹竿巷",
    "东四六条",
    "东四七条",
];
/// Streets with numbered residential buildings (flats).
const STREETS: &[&str] = &[
    "朝阳门北小街",
    "朝阳门南小街",
    "朝阳门内大街",
    "东四南大街",
    "禄米仓胡同",
];

const JOBS: &[&str] = &[
    "个体经营",
    "公司职员",
    "教师",
    "出租车司机",
    "医生",
    "护士",
    "厨师",
    "保安",
    "销售",
    "工程师",
    "公务员",
    "快递员",
    "会计",
    "待业",
    "超市收银员",
    "物业维修工",
];
const SKILLS: &[&str] = &[
    "书法",
    "太极拳",
    "象棋",
    "京剧",
    "摄影",
    "电脑维修",
    "裁缝",
    "烹饪",
    "合唱",
    "广场舞",
    "钓鱼",
    "水电维修",
    "英语",
    "绘画",
    "养花",
    "剪纸",
];

/// The 23 phone groups (seed 000 names the first three).
pub const GROUPS: [&str; 23] = [
    "低保人员家庭",
    "社区车主",
    "治安巡逻人员家庭",
    "空巢老人家庭",
    "独居老人",
    "残疾人家庭",
    "平房住户",
    "楼房住户",
    "失业人员家庭",
    "离退休人员",
    "党员家庭",
    "育龄妇女",
    "学龄儿童家庭",
    "军烈属家庭",
    "社区志愿者",
    "楼门长",
    "出租房屋户",
    "流动人口",
    "重点防范户",
    "老年协会会员",
    "文体队伍成员",
    "特困家庭",
    "八十岁以上老人家庭",
];

const BLOCKS: [&str; 6] = [
    "第一片区",
    "第二片区",
    "第三片区",
    "第四片区",
    "第五片区",
    "第六片区",
];

/// Request categories: (item 某一项, class 某一类).
const CATEGORIES: &[(&str, &str, &str)] = &[
    ("职业介绍", "就业", "希望介绍一份附近的工作"),
    ("政策咨询", "低保", "咨询低保申请条件和所需材料"),
    ("政策咨询", "社保", "咨询养老保险补缴办法"),
    ("家政服务", "保洁", "需要找小时工打扫卫生"),
    ("家政服务", "保姆", "家中老人需要找保姆照顾"),
    ("设施维修", "下水道", "院内下水道堵塞，污水外溢"),
    ("设施维修", "供暖", "暖气不热，室温偏低"),
    ("设施维修", "路灯", "胡同口路灯不亮，夜间出行不便"),
    ("环境卫生", "垃圾清运", "楼下垃圾多日未清运"),
    ("治安", "门窗", "单元门锁损坏，陌生人随意进出"),
    ("邻里纠纷", "噪音", "楼上装修噪音影响休息"),
    ("医疗服务", "送药上门", "行动不便，需要帮助取药"),
    ("投诉", "违章停车", "胡同内车辆乱停，堵塞消防通道"),
    ("便民服务", "代缴费", "请帮助代缴水电燃气费"),
    ("养老服务", "助餐", "老人想办理社区助餐服务"),
];

const RESULTS: &[&str] = &[
    "已联系相关单位处理完毕，居民表示满意",
    "已派维修人员上门修复",
    "已电话答复居民，提供了办理流程和材料清单",
    "已协调物业解决",
    "已转街道相关科室办理，三日内答复",
    "已安排志愿者上门服务",
];

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
const RESERVED: &[&str] = &["65123456", "13912345678", "65120000"];
const MOBILE_PREFIXES: &[u64] = &[
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
                    feedback_satisfied)
                 VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22)",
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
        self.write(|tx| {
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
                    status, result, closed_ms, closed_by, feedback_by, feedback_ms, feedback_how, feedback_satisfied)
                 VALUES (?1, ?2, 'phone', ?3, '职业介绍', '就业', 1, '一直找不到合适的工作，想登记求职', ?4, ?5, ?4,
                    ?6, ?7, ?8, 'closed', '介绍到外交部食堂，当天面试通过，次日上岗', ?9, ?4, ?5, ?10, '电话回访', 1)",
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
                    content, responsible_staff_id, captain_staff_id, created_by, created_ms, level1_ms, deadline_ms, status)
                 VALUES (?1, ?2, 'phone', ?3, '政策咨询', '社保', 1, '咨询灵活就业人员养老保险缴费办法', ?4, ?5, ?4,
                    ?6, ?7, ?8, 'open')",
                params![hh, fan, c2, cap, cap, t1 + 130_000, t1 + 5 * DAY, t1 + 8 * DAY],
            )?;
            // Open voice messages from unknown and known callers, for the console.
            for (k, (raw, norm, h)) in [("sip:+8613700001111@trunk", "13700001111", None), ("65123456", "01065123456", Some(hh))].iter().enumerate() {
                let t = now_ms - (k as i64 + 1) * 3_600_000;
                tx.execute(
                    "INSERT INTO voice_messages (household_id, caller_raw, caller_normalized, created_ms, duration_ms, path)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![h, raw, norm, t, 15_000 + k as i64 * 7_000, format!("voicemail/demo-{}.wav", k + 1)],
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
