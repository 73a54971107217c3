//! The header row of an import: which column of the file is which field, found by the
//! English name or by one of its Chinese names (the words a clerk types in Excel: 户号,
//! 姓名, 手机, 联系电话 …; table in the README), in any order. Headers are compared
//! without spaces, `*` marks, a byte-order mark or a bracketed remark (`出生日期（年月日）`
//! is 出生日期). Unknown columns are ignored.
//!
//! A register kept in Excel often has a title row or two above the header, so the header
//! is the first of the file's first [`HEADER_SEARCH`] non-empty rows that names every
//! required column. When two columns mean the same phone field (手机 and 联系电话) both
//! are read; for any other field the first such column counts.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::import::ImportKind;

/// How many non-empty rows at the top of a file may come before the header.
pub(crate) const HEADER_SEARCH: usize = 10;

/// The Chinese names (and common variants) accepted for each field of residents.
const RESIDENTS: &[(&str, &[&str])] = &[
    (
        "household",
        &["户号", "户编号", "户编码", "住户编号", "户代码"],
    ),
    (
        "street",
        &["街道", "街巷", "街路巷", "街巷名称", "街道名称", "路街"],
    ),
    ("number", &["门牌号", "门牌", "门牌号码"]),
    ("building", &["楼号", "楼栋", "楼栋号", "楼"]),
    ("unit", &["单元", "单元号"]),
    ("room", &["室", "室号", "房号", "房间号", "户室号"]),
    (
        "dwelling",
        &["住房类型", "房屋类型", "住房性质", "房屋性质"],
    ),
    ("block", &["片区", "所属片区", "网格"]),
    ("household_notes", &["户备注", "住户备注", "家庭备注"]),
    (
        "home_phones",
        &[
            "家庭电话",
            "住宅电话",
            "宅电",
            "座机",
            "固定电话",
            "固话",
            "家庭号码",
        ],
    ),
    ("name", &["姓名", "名字"]),
    ("sex", &["性别"]),
    ("dob", &["出生日期", "出生年月日", "生日"]),
    ("work", &["工作单位", "单位", "工作", "职业"]),
    ("skills", &["特长", "爱好", "特长爱好"]),
    ("notes", &["备注", "个人备注"]),
    (
        "mobiles",
        &[
            "手机",
            "手机号",
            "手机号码",
            "移动电话",
            "联系电话",
            "电话",
            "联系方式",
        ],
    ),
];

/// The Chinese names accepted for each field of resident units.
const UNITS: &[(&str, &[&str])] = &[
    ("name", &["单位名称", "名称", "单位"]),
    ("address", &["地址", "单位地址"]),
    ("contact", &["联系人"]),
    ("phone", &["电话", "联系电话", "单位电话"]),
    ("jobs", &["招聘岗位", "空缺岗位", "岗位", "用工需求"]),
    ("notes", &["备注"]),
];

/// The Chinese names accepted for each field of group memberships.
const GROUPS: &[(&str, &[&str])] = &[
    ("group", &["分组", "组名", "群组", "电话组"]),
    ("household", &["户号", "户编号", "户编码", "住户编号"]),
];

/// Fields whose several columns are all read (their numbers joined).
const MERGED: &[&str] = &["home_phones", "mobiles"];

/// The Chinese names of `kind`'s fields, in the order of [`ImportKind::columns`].
pub fn chinese_names(kind: ImportKind) -> &'static [(&'static str, &'static [&'static str])] {
    match kind {
        ImportKind::Residents => RESIDENTS,
        ImportKind::Units => UNITS,
        ImportKind::Groups => GROUPS,
    }
}

/// The first Chinese name of a field (what export's Chinese header and messages use).
pub(crate) fn chinese_name(kind: ImportKind, field: &str) -> &'static str {
    chinese_names(kind)
        .iter()
        .find(|(f, _)| *f == field)
        .and_then(|(_, names)| names.first().copied())
        .unwrap_or("")
}

/// A header cell as compared: no spaces, marks, BOM or bracketed remark; ASCII lower case.
fn normalize(h: &str) -> String {
    let h = h.split(['(', '（']).next().unwrap_or(h);
    h.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '\u{feff}' | '*' | '＊' | ':' | '：'))
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Which field a header cell names, if any.
fn field_of(kind: ImportKind, header: &str) -> Option<&'static str> {
    let h = normalize(header);
    if let Some(c) = kind.columns().iter().find(|c| **c == h) {
        return Some(c);
    }
    chinese_names(kind)
        .iter()
        .find(|(_, names)| names.contains(&h.as_str()))
        .map(|(f, _)| *f)
}

/// The columns of one file.
pub(crate) struct Columns {
    kind: ImportKind,
    idx: HashMap<&'static str, Vec<usize>>,
    labels: HashMap<&'static str, String>,
}

impl Columns {
    /// Reads a header row; `Err(missing)` names the first required field it lacks.
    pub(crate) fn new(
        kind: ImportKind,
        header: &csv::StringRecord,
    ) -> Result<Columns, &'static str> {
        let mut idx: HashMap<&'static str, Vec<usize>> = HashMap::new();
        let mut labels = HashMap::new();
        for (i, h) in header.iter().enumerate() {
            let Some(f) = field_of(kind, h) else { continue };
            let cols = idx.entry(f).or_default();
            if cols.is_empty() || MERGED.contains(&f) {
                cols.push(i);
                labels
                    .entry(f)
                    .or_insert_with(|| h.trim().trim_start_matches('\u{feff}').to_string());
            }
        }
        match kind.required().iter().find(|r| !idx.contains_key(*r)) {
            Some(missing) => Err(missing),
            None => Ok(Columns { kind, idx, labels }),
        }
    }

    /// The trimmed value of `field` in `rec` (empty when the file has no such column);
    /// several phone columns are joined with `;`.
    pub(crate) fn get<'r>(&self, rec: &'r csv::StringRecord, field: &str) -> Cow<'r, str> {
        let Some(cols) = self.idx.get(field) else {
            return Cow::Borrowed("");
        };
        let mut values = cols
            .iter()
            .filter_map(|i| rec.get(*i))
            .map(str::trim)
            .filter(|v| !v.is_empty());
        let first = values.next().unwrap_or("");
        match values.next() {
            None => Cow::Borrowed(first),
            Some(second) => {
                let mut all = format!("{first};{second}");
                for v in values {
                    all.push(';');
                    all.push_str(v);
                }
                Cow::Owned(all)
            }
        }
    }

    /// The header of `field`'s column as the file wrote it, else its usual Chinese name.
    pub(crate) fn label(&self, field: &str) -> String {
        self.labels
            .get(field)
            .cloned()
            .unwrap_or_else(|| chinese_name(self.kind, field).to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(cells: &[&str]) -> csv::StringRecord {
        csv::StringRecord::from(cells.to_vec())
    }

    #[test]
    fn every_english_column_has_a_chinese_name() {
        for kind in [ImportKind::Residents, ImportKind::Units, ImportKind::Groups] {
            let names: Vec<&str> = chinese_names(kind).iter().map(|(f, _)| *f).collect();
            assert_eq!(names, kind.columns(), "{kind:?}");
        }
    }

    #[test]
    fn chinese_headers_with_spaces_remarks_and_two_phone_columns() {
        let h = rec(&[
            "\u{feff}户 号",
            "姓  名",
            "出生日期（年月日）",
            "手机",
            "联系电话",
            "*性别",
            "门牌号",
        ]);
        let c = Columns::new(ImportKind::Residents, &h).unwrap_or_else(|m| panic!("{m}"));
        let r = rec(&[
            "A1",
            "范先翔",
            "1982-09-10",
            "13912345678",
            "65123456",
            "女",
            "27",
        ]);
        assert_eq!(c.get(&r, "household"), "A1");
        assert_eq!(c.get(&r, "dob"), "1982-09-10");
        assert_eq!(c.get(&r, "mobiles"), "13912345678;65123456");
        assert_eq!(c.get(&r, "street"), "");
        assert_eq!(c.label("mobiles"), "手机");
        assert_eq!(c.label("street"), "街道");
        assert!(matches!(
            Columns::new(ImportKind::Residents, &rec(&["姓名", "街道"])),
            Err("household")
        ));
    }
}
