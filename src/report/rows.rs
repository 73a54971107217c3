//! The rows of each report, as text: the header (the grouping's name first, then
//! `count`, then the figures), one row per group, and the total row the terminal table
//! adds at the bottom (CSV leaves it out: one row per group).

use lianxin_store::{PopulationReport, RequestFigures, RequestReport, VisitReport};

/// A report as rows of text.
pub struct Rows {
    /// Column names.
    pub header: Vec<&'static str>,
    /// One row per group.
    pub groups: Vec<Vec<String>>,
    /// The total row, if the report has one.
    pub total: Option<Vec<String>>,
}

fn opt(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn request_row(f: &RequestFigures) -> Vec<String> {
    vec![
        f.group.clone(),
        f.count.to_string(),
        f.closed.to_string(),
        f.closed_by_deadline.to_string(),
        f.share_closed_by_deadline.to_string(),
        opt(f.avg_hours_to_close),
        opt(f.p90_hours_to_close),
        f.satisfied.to_string(),
        f.not_satisfied.to_string(),
        opt(f.satisfaction_rate),
    ]
}

/// Requests per group.
pub fn requests(r: &RequestReport) -> Rows {
    Rows {
        header: vec![
            r.by.as_str(),
            "count",
            "closed",
            "closed_by_deadline",
            "share_closed_by_deadline",
            "avg_hours_to_close",
            "p90_hours_to_close",
            "satisfied",
            "not_satisfied",
            "satisfaction_rate",
        ],
        groups: r.groups.iter().map(request_row).collect(),
        total: Some(request_row(&r.total)),
    }
}

/// Visits per visitor.
pub fn visits(r: &VisitReport) -> Rows {
    Rows {
        header: vec!["visitor", "count", "households", "staff_id"],
        groups: r
            .visitors
            .iter()
            .map(|v| {
                vec![
                    v.name.clone(),
                    v.count.to_string(),
                    v.households.to_string(),
                    v.staff_id.map(|i| i.to_string()).unwrap_or_default(),
                ]
            })
            .collect(),
        total: Some(vec![
            "全部".into(),
            r.total.to_string(),
            String::new(),
            String::new(),
        ]),
    }
}

/// Residents and elderly per block (`count` = residents).
pub fn blocks(r: &PopulationReport) -> Rows {
    let row = |b: &lianxin_store::BlockPopulation| {
        vec![
            b.block.clone(),
            b.residents.to_string(),
            b.households.to_string(),
            b.elderly.to_string(),
            b.elderly_share.to_string(),
            b.dob_unknown.to_string(),
        ]
    };
    Rows {
        header: vec![
            "block",
            "count",
            "households",
            "elderly",
            "elderly_share",
            "dob_unknown",
        ],
        groups: r.blocks.iter().map(row).collect(),
        total: Some(row(&r.total)),
    }
}

/// Households per phone group (`count` = households).
pub fn phone_groups(r: &PopulationReport) -> Rows {
    Rows {
        header: vec!["group", "count", "share"],
        groups: r
            .groups
            .iter()
            .map(|g| {
                vec![
                    g.group.clone(),
                    g.households.to_string(),
                    g.share.to_string(),
                ]
            })
            .collect(),
        total: None,
    }
}
