//! A household's address as staff write it: street and number, then building, unit and
//! room for flats (朝阳门北小街8号3号楼2单元501室), just street and number for bungalows.

/// Builds the address text from its parts.
pub fn format_address(
    street: &str,
    number: &str,
    building: &str,
    unit: &str,
    room: &str,
) -> String {
    let mut s = String::with_capacity(48);
    s.push_str(street);
    if !number.is_empty() {
        s.push_str(number);
        s.push('号');
    }
    if !building.is_empty() {
        s.push_str(building);
        s.push_str("号楼");
    }
    if !unit.is_empty() {
        s.push_str(unit);
        s.push_str("单元");
    }
    if !room.is_empty() {
        s.push_str(room);
        if !building.is_empty() {
            s.push('室');
        }
    }
    s
}

/// The address of a result row whose columns `first` to `first + 4` are the street,
/// number, building, unit and room (every query that lists households selects them so).
pub(crate) fn address_at(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<String> {
    Ok(format_address(
        &r.get::<_, String>(first)?,
        &r.get::<_, String>(first + 1)?,
        &r.get::<_, String>(first + 2)?,
        &r.get::<_, String>(first + 3)?,
        &r.get::<_, String>(first + 4)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_text() {
        assert_eq!(
            format_address("内务部街", "甲42", "", "", ""),
            "内务部街甲42号"
        );
        assert_eq!(
            format_address("朝阳门北小街", "8", "3", "2", "501"),
            "朝阳门北小街8号3号楼2单元501室"
        );
    }
}
