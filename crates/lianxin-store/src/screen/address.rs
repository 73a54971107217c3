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
