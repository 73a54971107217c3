//! `lianxin search --units TEXT`: resident units (驻区单位) by name, address, open jobs
//! or number, as a terminal table (those hiring first).

use lianxin_store::Unit;

use crate::table::table;

/// The units as a table.
pub fn render(units: &[Unit]) -> String {
    let mut out = String::new();
    if units.is_empty() {
        out.push_str("No unit found.\n");
        return out;
    }
    let rows: Vec<Vec<String>> = units
        .iter()
        .map(|u| {
            vec![
                u.id.to_string(),
                u.name.clone(),
                u.address.clone(),
                u.contact.clone(),
                u.phone.clone(),
                u.jobs.clone(),
            ]
        })
        .collect();
    table(
        &mut out,
        "",
        &["ID", "Name", "Address", "Contact", "Phone", "Open jobs"],
        &rows,
    );
    out
}
