//! The JSON body of `POST /api/campaigns` and `/api/campaigns/preview`, parsed strictly,
//! and the effective options as the API shows them back.
//!
//! Strict because a typo must not silently start 800 calls with a default: an unknown
//! field is a 400 naming it, every option is range-checked with a Chinese message naming
//! the field, and only what the request leaves out comes from the dialer's `[dialer]`
//! defaults. The notice is a name (`[a-z0-9_-]`), never a path: a console must not make
//! the server read a file of its choosing. The dialer checks the options again.

use std::time::Duration;

use chrono::{DateTime, NaiveTime, Utc};
use lianxin_store::china_time::china;
use lianxin_store::{CampaignSettings, NumberStrategy, TargetSpec};
use serde_json::{json, Map, Value};

use crate::api::ApiError;

/// Most simultaneous calls a campaign may ask for.
pub(crate) const MAX_CALLS: u64 = 800;
/// Most new calls per second that may be asked for (0 = unlimited).
pub(crate) const MAX_RATE: f64 = 1000.0;
/// Longest campaign name, in characters.
const MAX_NAME: usize = 100;
/// Longest notice name.
pub(crate) const MAX_NOTICE: usize = 40;
/// Most groups and households one request may name.
const MAX_GROUPS: usize = 100;
const MAX_HOUSEHOLDS: usize = 5000;

const FIELDS: [&str; 14] = [
    "name",
    "groups",
    "households",
    "notice",
    "caller_id",
    "max_calls",
    "calls_per_second",
    "ring_timeout_s",
    "retries",
    "retry_pause_s",
    "strategy",
    "window",
    "urgent",
    "confirm_key",
];

/// A campaign as a console asked for it, options filled in from the defaults.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CampaignRequest {
    pub(crate) name: String,
    pub(crate) targets: TargetSpec,
    pub(crate) notice: String,
    pub(crate) settings: CampaignSettings,
}

/// Parses a request body; `now` names a campaign the request leaves unnamed.
pub(crate) fn parse(
    obj: &Map<String, Value>,
    defaults: &CampaignSettings,
    now: DateTime<Utc>,
) -> Result<CampaignRequest, ApiError> {
    if let Some(unknown) = obj.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(ApiError::bad(
            unknown.clone(),
            format!("不认识的字段“{unknown}”；请检查拼写"),
        ));
    }
    let groups = groups(obj)?;
    let households = households(obj)?;
    if groups.is_empty() && households.is_empty() {
        return Err(ApiError::bad(
            "groups",
            "请至少选择一个电话分组（groups）或住户（households）",
        ));
    }
    let notice = notice(obj)?;
    let mut s = defaults.clone();
    if let Some(v) = text(obj, "caller_id")? {
        let digits = v.strip_prefix('+').unwrap_or(&v);
        if v.len() > 32 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ApiError::bad(
                "caller_id",
                "caller_id（主叫号码）只能是电话号码（数字，可以 + 开头）",
            ));
        }
        s.caller_id = v;
    }
    if let Some(n) = int(obj, "max_calls", 1, MAX_CALLS, "同时呼叫数")? {
        s.max_calls = n as u32;
    }
    if let Some(v) = obj.get("calls_per_second").filter(|v| !v.is_null()) {
        s.calls_per_second = v
            .as_f64()
            .filter(|r| r.is_finite() && (0.0..=MAX_RATE).contains(r))
            .ok_or_else(|| {
                ApiError::bad(
                    "calls_per_second",
                    format!(
                        "calls_per_second（每秒新呼叫数）应在 0 到 {MAX_RATE} 之间，0 表示不限"
                    ),
                )
            })?;
    }
    if let Some(n) = int(obj, "ring_timeout_s", 5, 120, "振铃超时秒数")? {
        s.ring_timeout = Duration::from_secs(n);
    }
    if let Some(n) = int(obj, "retries", 0, 5, "重拨次数")? {
        s.retries = n as u32;
    }
    if let Some(n) = int(obj, "retry_pause_s", 10, 86_400, "重拨间隔秒数")? {
        s.retry_pause = Duration::from_secs(n);
    }
    if let Some(v) = text(obj, "strategy")? {
        s.strategy = NumberStrategy::parse(&v).ok_or_else(|| {
            ApiError::bad(
                "strategy",
                "strategy（拨号方式）只能是 first（只拨第一个号码）或 each（依次拨打每个号码）",
            )
        })?;
    }
    match obj.get("window") {
        None => {}
        Some(Value::Null) => s.window = None,
        Some(v) => s.window = Some(window(v)?),
    }
    if let Some(b) = flag(obj, "urgent")? {
        s.urgent = b;
    }
    if let Some(b) = flag(obj, "confirm_key")? {
        s.confirm_key = b;
    }
    let name = match text(obj, "name")? {
        Some(n) if n.trim().is_empty() => return Err(ApiError::bad("name", "任务名称不能为空")),
        Some(n) if n.chars().count() > MAX_NAME => {
            return Err(ApiError::bad(
                "name",
                format!("任务名称太长，最多{MAX_NAME}个字符"),
            ))
        }
        Some(n) => n.trim().to_owned(),
        None => default_name(groups.first().map(String::as_str), now),
    };
    Ok(CampaignRequest {
        name,
        targets: TargetSpec { groups, households },
        notice,
        settings: s,
    })
}

/// `<first group> 通知 <MM-DD HH:MM>` in China time.
fn default_name(first_group: Option<&str>, now: DateTime<Utc>) -> String {
    let when = china(now).format("%m-%d %H:%M");
    format!("{} 通知 {when}", first_group.unwrap_or("指定住户"))
}

/// Whether `name` is a notice name: `[a-z0-9_-]{1,40}`, not starting with `-`.
pub(crate) fn valid_notice(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NOTICE
        && !name.starts_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn notice(obj: &Map<String, Value>) -> Result<String, ApiError> {
    let name = text(obj, "notice")?
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::bad("notice", "请选择通知录音（notice）"))?;
    if !valid_notice(&name) {
        return Err(ApiError::bad(
            "notice",
            format!("通知录音只能按名称选择（小写字母、数字、- 和 _，最多{MAX_NOTICE}个字符），不能是文件路径；请先上传录音文件"),
        ));
    }
    Ok(name)
}

fn groups(obj: &Map<String, Value>) -> Result<Vec<String>, ApiError> {
    let bad = || ApiError::bad("groups", "groups 应为电话分组名称的列表");
    let list = match obj.get("groups") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(bad()),
    };
    if list.len() > MAX_GROUPS {
        return Err(ApiError::bad(
            "groups",
            format!("一次最多选择{MAX_GROUPS}个电话分组"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for g in list {
        let g = g
            .as_str()
            .map(str::trim)
            .filter(|g| !g.is_empty())
            .ok_or_else(bad)?;
        if g.chars().count() > 64 {
            return Err(ApiError::bad("groups", "电话分组名称太长"));
        }
        if !out.iter().any(|o| o == g) {
            out.push(g.to_owned());
        }
    }
    Ok(out)
}

fn households(obj: &Map<String, Value>) -> Result<Vec<i64>, ApiError> {
    let bad = || ApiError::bad("households", "households 应为住户编号（正整数）的列表");
    let list = match obj.get("households") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(bad()),
    };
    if list.len() > MAX_HOUSEHOLDS {
        return Err(ApiError::bad(
            "households",
            format!("一次最多指定{MAX_HOUSEHOLDS}户，请改用电话分组"),
        ));
    }
    let mut out = Vec::with_capacity(list.len());
    for h in list {
        let id = h.as_i64().filter(|id| *id > 0).ok_or_else(bad)?;
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}

/// `["08:00", "20:00"]`: opening before closing, Asia/Shanghai time.
fn window(v: &Value) -> Result<(NaiveTime, NaiveTime), ApiError> {
    let bad = || {
        ApiError::bad(
            "window",
            "window（呼叫时段）应为 [\"08:00\", \"20:00\"] 这样的开始和结束时间（北京时间，开始早于结束），或 null 表示不限",
        )
    };
    let pair = v.as_array().filter(|a| a.len() == 2).ok_or_else(bad)?;
    let time = |v: &Value| {
        v.as_str()
            .and_then(|s| NaiveTime::parse_from_str(s, "%H:%M").ok())
            .ok_or_else(bad)
    };
    let (open, close) = (time(&pair[0])?, time(&pair[1])?);
    if open < close {
        Ok((open, close))
    } else {
        Err(bad())
    }
}

fn text(obj: &Map<String, Value>, field: &'static str) -> Result<Option<String>, ApiError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::bad(field, format!("{field} 应为文字"))),
    }
}

fn flag(obj: &Map<String, Value>, field: &'static str) -> Result<Option<bool>, ApiError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(ApiError::bad(
            field,
            format!("{field} 只能是 true 或 false"),
        )),
    }
}

fn int(
    obj: &Map<String, Value>,
    field: &'static str,
    min: u64,
    max: u64,
    label: &str,
) -> Result<Option<u64>, ApiError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .filter(|n| (min..=max).contains(n))
            .map(Some)
            .ok_or_else(|| {
                ApiError::bad(
                    field,
                    format!("{field}（{label}）应为 {min} 到 {max} 之间的整数"),
                )
            }),
    }
}

/// The options as the API shows them (`settings` of a preview or a campaign): the
/// request's field names, durations in seconds, the window as `["HH:MM", "HH:MM"]`.
pub(crate) fn settings_json(s: &CampaignSettings) -> Value {
    let rate = s.calls_per_second;
    let rate = if rate.fract() == 0.0 && (0.0..=MAX_RATE).contains(&rate) {
        json!(rate as u64)
    } else {
        json!(rate)
    };
    json!({
        "caller_id": s.caller_id,
        "max_calls": s.max_calls,
        "calls_per_second": rate,
        "ring_timeout_s": s.ring_timeout.as_secs(),
        "retries": s.retries,
        "retry_pause_s": s.retry_pause.as_secs(),
        "strategy": s.strategy.as_str(),
        "window": s.window.map(|(a, b)| [a.format("%H:%M").to_string(), b.format("%H:%M").to_string()]),
        "urgent": s.urgent,
        "confirm_key": s.confirm_key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => panic!("not an object"),
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 2, 16, 30, 0).unwrap()
    }

    fn field(v: Value) -> String {
        let e = parse(&obj(v), &CampaignSettings::default(), now()).unwrap_err();
        assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST);
        e.field().to_owned()
    }

    #[test]
    fn omitted_options_take_the_defaults() {
        let defaults = CampaignSettings {
            max_calls: 300,
            ..CampaignSettings::default()
        };
        let r = parse(
            &obj(json!({"groups": ["独居老人", "独居老人"], "notice": "notice-security"})),
            &defaults,
            now(),
        )
        .unwrap();
        assert_eq!(r.settings, defaults);
        assert_eq!(r.targets.groups, ["独居老人"]);
        assert_eq!(r.name, "独居老人 通知 12-03 00:30");
    }

    #[test]
    fn options_override_the_defaults() {
        let r = parse(
            &obj(json!({
                "name": "停水", "households": [3, 9], "notice": "notice_water",
                "caller_id": "51663371", "max_calls": 800, "calls_per_second": 12.5,
                "ring_timeout_s": 20, "retries": 0, "retry_pause_s": 600, "strategy": "each",
                "window": ["09:00", "18:30"], "urgent": true, "confirm_key": true
            })),
            &CampaignSettings::default(),
            now(),
        )
        .unwrap();
        let s = settings_json(&r.settings);
        assert_eq!(
            s,
            json!({"caller_id": "51663371", "max_calls": 800, "calls_per_second": 12.5,
                   "ring_timeout_s": 20, "retries": 0, "retry_pause_s": 600,
                   "strategy": "each", "window": ["09:00", "18:30"], "urgent": true,
                   "confirm_key": true})
        );
        assert_eq!(r.targets.households, [3, 9]);
        assert_eq!(r.name, "停水");
        let r = parse(
            &obj(json!({"households": [3], "notice": "n", "window": null})),
            &CampaignSettings::default(),
            now(),
        )
        .unwrap();
        assert_eq!(r.settings.window, None);
        assert_eq!(r.name, "指定住户 通知 12-03 00:30");
    }

    #[test]
    fn bad_fields_are_named() {
        let ok = |extra: Value| {
            let mut m = obj(json!({"groups": ["g"], "notice": "notice-security"}));
            m.extend(obj(extra));
            Value::Object(m)
        };
        assert_eq!(field(ok(json!({"max_call": 5}))), "max_call");
        assert_eq!(field(ok(json!({"max_calls": 0}))), "max_calls");
        assert_eq!(field(ok(json!({"max_calls": 801}))), "max_calls");
        assert_eq!(field(ok(json!({"max_calls": "8"}))), "max_calls");
        assert_eq!(
            field(ok(json!({"calls_per_second": -1}))),
            "calls_per_second"
        );
        assert_eq!(field(ok(json!({"ring_timeout_s": 4}))), "ring_timeout_s");
        assert_eq!(field(ok(json!({"retries": 6}))), "retries");
        assert_eq!(field(ok(json!({"retry_pause_s": 9}))), "retry_pause_s");
        assert_eq!(field(ok(json!({"strategy": "all"}))), "strategy");
        assert_eq!(field(ok(json!({"window": ["20:00", "08:00"]}))), "window");
        assert_eq!(field(ok(json!({"window": "08:00-20:00"}))), "window");
        assert_eq!(field(ok(json!({"urgent": "yes"}))), "urgent");
        assert_eq!(field(ok(json!({"caller_id": "abc"}))), "caller_id");
        assert_eq!(field(ok(json!({"name": " "}))), "name");
        assert_eq!(field(ok(json!({"notice": "../etc/passwd"}))), "notice");
        assert_eq!(field(ok(json!({"notice": "/tmp/a.wav"}))), "notice");
        assert_eq!(field(ok(json!({"notice": "Notice"}))), "notice");
        assert_eq!(field(json!({"groups": ["g"]})), "notice");
        assert_eq!(field(json!({"notice": "n"})), "groups");
        assert_eq!(field(json!({"notice": "n", "groups": "g"})), "groups");
        assert_eq!(
            field(json!({"notice": "n", "households": [0]})),
            "households"
        );
    }
}
